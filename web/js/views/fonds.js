// Fonds and dossiers: the fonds list (creator, current custodian), a fonds with its custody steps
// and dossiers, a dossier's documents.
import { t, fmtDate, fmtNum } from '../i18n.js';
import { h, buildQuery } from '../util.js';
import { get, enc } from '../api.js';
import { accessBadge, table, unitLink, mergeKind, pager, docType } from './common.js';
import { sendPanel, maySend } from './send.js';
import { fondsDescSection, arrangement, placeNote, dossierDescSection } from './describe.js';

function stateLabel(s) {
  const k = t('state_' + s);
  return k === 'state_' + s ? s : k;
}

function creatorCell(f) {
  return f.creator_code ? unitLink(f.creator_code, f.creator_name, f.creator_on) : h('span', { class: 'muted' }, t('state_no_creator'));
}

function custodianCell(f) {
  if (f.custodian_code) return unitLink(f.custodian_code, f.custodian_name);
  return h('span', { class: f.state === 'pending' ? 'warn-text' : 'muted' }, stateLabel(f.state));
}

export async function fondsListView() {
  const r = await get('/fonds');
  const items = r.items || [];
  return h('div', null,
    h('h1', null, t('fonds_title')),
    h('p', { class: 'lead' }, t('fonds_intro')),
    items.length
      ? table([
        [t('fonds_code'), (f) => h('a', { href: '#/fonds/' + enc(f.code) }, f.code)],
        [t('fonds_name'), (f) => f.name || t('none')],
        [t('fonds_creator'), creatorCell],
        [t('fonds_custodian'), custodianCell],
        [t('fonds_dossiers'), (f) => fmtNum(f.dossiers)],
        [t('fonds_documents'), (f) => fmtNum(f.documents)],
      ], items)
      : h('p', null, t('fonds_none')));
}

export async function fondsView({ args, query, render }) {
  const code = args[0];
  const f = await get('/fonds/' + enc(code) + buildQuery({ at: query.at }));
  const fcode = f.fonds_code || f.code;
  const steps = f.steps || [];
  const rerender = () => render({ keepFocus: true });
  const view = h('div', null,
    h('p', { class: 'crumbs' }, h('a', { href: '#/fonds' }, t('fonds_title')), ' · ',
      h('a', { href: '#/browse?open=' + enc('f:' + enc(fcode)), id: 'fonds-tree-link' }, t('browse_as_tree'))),
    h('h1', null, `${t('fonds_code')} ${fcode}`, f.fonds_name || f.name ? ` — ${f.fonds_name || f.name}` : ''),
    /* a fonds naming no creator has no custodian or state to show: said once */
    f.creator_code || f.state !== 'no_creator'
      ? h('dl', { class: 'meta fonds-meta' },
        h('dt', null, t('fonds_creator')), h('dd', null, creatorCell(f)),
        h('dt', null, t('fonds_custodian')), h('dd', null, custodianCell(f),
          f.received_on ? ` (${t('unit_from', { d: fmtDate(f.received_on) })})` : ''),
        h('dt', null, t('fonds_state')), h('dd', null, stateLabel(f.state)))
      : h('p', { class: 'note', id: 'no-creator' }, t('fonds_no_creator_note')),
    /* ISAD(G)'s order: identity and context (description, custody), then the arrangement */
    fondsDescSection(f, rerender),
    !f.creator_code && f.state === 'no_creator' ? null : h('section', null,
      h('h2', null, t('custody_steps')),
      steps.length
        ? h('ol', { class: 'custody-steps' }, steps.map((s) => h('li', { class: 'custody-step' + (s.how === 'pending' ? ' pending' : '') },
          h('span', { class: 'step-date' }, fmtDate(s.effective_date)), ' ',
          unitLink(s.from_code, s.from_name, s.effective_date ? null : null), ' → ',
          s.to_code ? unitLink(s.to_code, s.to_name) : h('span', { class: 'warn-text' }, stateLabel('pending'),
            s.suggested_code ? ` (${s.suggested_name} ${s.suggested_code}?)` : ''),
          ' · ', s.how === 'pending' ? mergeKind((s.successors && s.successors[0] && s.successors[0].kind) || '', null) : mergeKind(s.how, s.successors && s.successors[0] && s.successors[0].merge_type),
          s.basis ? h('span', { class: 'basis' }, ' · ', t('step_basis'), ': ', s.basis) : null)))
        : h('p', { class: 'muted' }, t('custody_none'))),
    arrangement(f, rerender));
  placeNote(view);
  /* #/fonds/F?series=S (a dossier's link to its series): that series in view */
  if (query.series) {
    setTimeout(() => {
      const head = document.getElementById(`series-${query.series}-h`);
      if (!head) return;
      head.setAttribute('tabindex', '-1');
      head.focus({ preventScroll: true });
      head.scrollIntoView({ block: 'start' });
    }, 0);
  }
  return view;
}

const SORTS = ['ordinal', '-ordinal', 'date', '-date'];

export async function dossierView({ args, query, go, render }) {
  const [fonds, dossier] = args;
  const offset = Math.max(0, parseInt(query.offset || '0', 10) || 0);
  const sort = SORTS.includes(query.sort) ? query.sort : 'ordinal';
  const limit = 50;
  /* the fonds too: its series' titles, and the choice of series in the editor */
  const [r, f] = await Promise.all([
    get(`/fonds/${enc(fonds)}/dossiers/${enc(dossier)}` + buildQuery({ offset, limit, sort })),
    get('/fonds/' + enc(fonds)).catch(() => null),
  ]);
  const base = `#/fonds/${enc(fonds)}/dossiers/${enc(dossier)}`;
  const at = (off, s = sort) => base + buildQuery({ offset: off || undefined, sort: s === 'ordinal' ? undefined : s });
  const items = r.items || [];
  const sortBox = h('select', { id: 'dossier-sort', onchange: () => go(at(0, sortBox.value)) },
    SORTS.map((s) => h('option', { value: s, selected: s === sort }, t('sort_' + s.replace('-', '') + (s.startsWith('-') ? '_desc' : '')))));
  const view = h('div', null,
    h('p', { class: 'crumbs' }, h('a', { href: '#/fonds' }, t('fonds_title')), ' / ',
      h('a', { href: '#/fonds/' + enc(fonds) }, fonds),
      r.series ? [' / ', h('a', { href: `#/fonds/${enc(fonds)}?series=${enc(r.series)}` }, t('series_heading', { code: r.series }))] : null),
    h('h1', null, t('dossier_title_h', { code: r.code || dossier }), r.title ? ` — ${r.title}` : ''),
    dossierDescSection(r, f, fonds, () => render({ keepFocus: true })),
    maySend() ? sendPanel({ dossier: `${fonds}/${dossier}` }, items.some((d) => d.access === 'restricted') ? 'restricted' : null) : null,
    h('h2', { id: 'dossier-docs-h' }, t('dossier_contents')),
    h('div', { class: 'list-head' },
      h('p', { class: 'results-summary' }, t('docs_range', { from: fmtNum(items.length ? offset + 1 : 0), to: fmtNum(offset + items.length), total: fmtNum(r.total) })),
      h('label', { class: 'sort-field' }, t('sort_label'), ' ', sortBox)),
    table([
      [t('col_ordinal'), (d) => d.ordinal],
      [t('col_subject'), (d) => h('a', { href: '#/doc/' + enc(d.id) }, d.subject || d.id)],
      [t('col_date'), (d) => fmtDate(d.issued_date)],
      [t('col_type'), (d) => docType(d.doc_type) || t('none')],
      [t('col_access'), (d) => accessBadge(d.access)],
      [t('col_pages'), (d) => (d.pages ? fmtNum(d.pages) : t('none'))],
    ], items),
    r.total > limit ? pager(at, offset, limit, r.total) : null);
  placeNote(view);
  return view;
}
