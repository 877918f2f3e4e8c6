// The search page: results with highlighted snippets, facets as filters with counts, paging.
import { t, fmtDate, fmtNum } from '../i18n.js';
import { h, snippetNodes, buildQuery, lastSearch } from '../util.js';
import { get } from '../api.js';
import { accessBadge, docType, pager } from './common.js';
import { taskHref } from './plans.js';

const FILTERS = ['fonds', 'type', 'year', 'unit'];
const LIMIT = 20;

function routeFor(q, filters, offset) {
  return '#/search' + buildQuery({ q, ...filters, offset: offset || undefined });
}

export async function searchView({ query }) {
  const q = (query.q || '').trim();
  const filters = {};
  for (const f of FILTERS) if (query[f]) filters[f] = query[f];
  const offset = Math.max(0, parseInt(query.offset || '0', 10) || 0);
  const root = h('div', { class: 'search-page' });

  if (!q && Object.keys(filters).length === 0) {
    root.append(
      h('h1', null, t('nav_search')),
      h('p', { class: 'lead' }, t('search_intro')),
      h('p', { class: 'hint' }, t('search_hint')),
    );
    return root;
  }

  const r = await get('/search' + buildQuery({ q, ...filters, offset, limit: LIMIT }));
  lastSearch.save(routeFor(q, filters, offset), r.searched_as || q, r.items.map((x) => x.id));
  root.append(h('h1', { class: 'visually-hidden' }, t('results_label')));

  /* "About" only when the total is an estimate (docs/api.md) */
  const summary = h('p', { class: 'results-summary', id: 'results-summary', role: 'status' },
    r.total > 0
      ? [t(r.total_exact ? 'results_total_exact' : 'results_total', { n: fmtNum(r.total) }), ' · ',
        t('results_range', { from: fmtNum(offset + 1), to: fmtNum(offset + r.items.length) })]
      : t('results_none'));
  /* words typed in Telex or VNI without an input method, searched as what they spell */
  const searchedAs = r.searched_as
    ? h('p', { class: 'searched-as', id: 'searched-as' }, t('searched_as', { q: r.searched_as }))
    : r.did_you_mean
      ? h('p', { class: 'searched-as', id: 'did-you-mean' }, t('did_you_mean'), ' ',
        h('a', { href: routeFor(r.did_you_mean, filters, 0) }, r.did_you_mean))
      : null;

  const active = Object.entries(filters);
  const chips = active.length
    ? h('div', { class: 'active-filters' }, h('span', null, t('filters_active') + ':'),
      active.map(([k, v]) => {
        const rest = { ...filters };
        delete rest[k];
        const label = `${t('facet_' + k)}: ${v}`;
        return h('a', { class: 'chip', href: routeFor(q, rest, 0), 'aria-label': t('filter_remove', { f: label }) },
          label, h('span', { 'aria-hidden': 'true' }, ' ×'));
      }))
    : null;

  /* a lesson learned (kind:lesson): its title to its task, then its agency and day */
  const lessonHit = (hit) => h('li', { class: 'hit hit-lesson' },
    h('h2', { class: 'hit-title' }, hit.task
      ? h('a', { href: taskHref(hit.task) }, hit.subject)
      : h('a', { href: '#/lessons' + buildQuery({ q: hit.subject }) }, hit.subject)),
    h('p', { class: 'hit-meta' },
      [t('hit_lesson'), hit.issuer || hit.agency, fmtDate(hit.issued_date)].filter(Boolean).join(' · '),
      hit.task ? [' · ', t('lesson_task'), ' ', h('a', { href: taskHref(hit.task) }, hit.task)] : null,
      ' ', accessBadge(hit.access)),
    hit.snippet ? h('p', { class: 'snippet' }, snippetNodes(hit.snippet)) : null);
  const list = h('ol', { class: 'results', start: offset + 1, 'aria-label': t('results_label') },
    r.items.map((hit) => hit.kind === 'lesson' ? lessonHit(hit) : h('li', { class: 'hit' },
      h('h2', { class: 'hit-title' }, h('a', { href: '#/doc/' + encodeURIComponent(hit.id) }, hit.subject || hit.id)),
      h('p', { class: 'hit-meta' },
        /* a scanned record without type, issuer or date starts with its place, not a dot */
        [docType(hit.doc_type), hit.issuer, fmtDate(hit.issued_date)].filter(Boolean).map((x) => x + ' · ').join(''),
        h('a', { href: `#/fonds/${encodeURIComponent(hit.fonds_code)}` }, hit.fonds_code),
        ' / ', h('a', { href: `#/fonds/${encodeURIComponent(hit.fonds_code)}/dossiers/${encodeURIComponent(hit.dossier_code)}` }, hit.dossier_code),
        ' ', accessBadge(hit.access)),
      hit.snippet ? h('p', { class: 'snippet' }, snippetNodes(hit.snippet)) : null)));

  /* Open beside the results on a wide screen; on a phone folded above them, so that the search
     and its first results fit the first screen and the filters are one tap away. */
  const narrow = window.matchMedia('(max-width: 800px)').matches;
  const facets = h('details', { class: 'facets', 'aria-label': t('facets_label'), open: !narrow, id: 'facets' },
    h('summary', { class: 'facets-title' }, t('facets_label'),
      active.length ? h('span', { class: 'count' }, ` (${fmtNum(active.length)})`) : null),
    FILTERS.map((f) => {
      const vals = (r.facets && r.facets[f]) || [];
      if (!vals.length) return null;
      return h('section', { class: 'facet' },
        h('h3', null, t('facet_' + f)),
        h('ul', null, vals.map((v) => {
          const on = filters[f] === String(v.value);
          const label = f === 'unit' && v.name ? `${v.name} (${v.value})` : String(v.value);
          const next = { ...filters };
          if (on) delete next[f];
          else next[f] = v.value;
          return h('li', null, h('a', { href: routeFor(q, next, 0), class: on ? 'facet-on' : null,
            'aria-current': on ? 'true' : null },
          h('span', { class: 'facet-value' }, label), ' ', h('span', { class: 'count' }, fmtNum(v.count))));
        })));
    }));

  const pages = r.total > LIMIT || offset > 0
    ? pager((off) => routeFor(q, filters, off), offset, LIMIT, Math.max(r.total, offset + r.items.length), r.total_exact)
    : null;

  root.append(h('div', { class: 'search-layout' },
    facets,
    h('div', { class: 'search-results' }, searchedAs, summary, chips, list, pages)));
  return root;
}
