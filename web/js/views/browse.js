// "Duyệt theo phông" (#/browse): the archive as a tree, fonds → series (mục lục hồ sơ) →
// dossier → document, each level a <details> that loads its children the first time it opens
// (GET /fonds, /fonds/{code}, /fonds/{code}/dossiers/{d}: a dossier's first documents with a
// link to the rest). What is open is kept in the address (#/browse?open=…, replaced, not pushed)
// so that the way back from a document finds the tree as it was left.
import { t, tn, fmtNum, fmtDate } from '../i18n.js';
import { h, clear, buildQuery } from '../util.js';
import { get, enc } from '../api.js';
import { accessBadge } from './common.js';
import { dossierDates } from './describe.js';

const FIRST_DOCS = 20;

/* A node's key in the address: kind and codes, each encoded, so ',' and '/' split them. */
const key = (kind, ...codes) => `${kind}:${codes.map(enc).join('/')}`;

function saveOpen(root) {
  /* A section opened by the script fires its toggle event later, as a task: by then the reader
     may have gone to another page (its address set, its hashchange not yet handled). The tree
     then leaves that address alone — rewriting it would bring the tree back. */
  if (!root.isConnected || !/^#\/browse(\?|$)/.test(location.hash)) return;
  const open = [...root.querySelectorAll('details[open][data-key]')].map((d) => d.dataset.key);
  const hash = '#/browse' + buildQuery({ open: open.join(',') });
  if (location.hash !== hash) history.replaceState(history.state, '', hash);
}

/* A <details> whose body is filled by load(body) when it first opens. */
function node(cls, k, summary, load, state) {
  const body = h('div', { class: 'bt-body' });
  const el = h('details', { class: 'bt-node ' + cls, 'data-key': k }, h('summary', null, summary), body);
  let loaded = false;
  const ensure = async () => {
    if (loaded) return;
    loaded = true;
    body.setAttribute('aria-busy', 'true');
    body.append(h('p', { class: 'loading' }, t('loading')));
    try {
      const kids = await load();
      clear(body).append(...[kids].flat(Infinity).filter((k) => k !== null && k !== undefined && k !== false));
    } catch (e) {
      clear(body).append(h('p', { class: 'error', role: 'alert' }, e.status === 404 ? t('not_found') : t('error', { m: e.message })));
      loaded = false;
    }
    body.removeAttribute('aria-busy');
  };
  el.addEventListener('toggle', () => {
    if (el.open) ensure();
    if (state.root) saveOpen(state.root);
  });
  if (state.open.has(k)) {
    el.open = true;
    ensure();
  }
  return el;
}

function label(name, meta) {
  return [h('span', { class: 'bt-name' }, name), meta ? [' ', h('span', { class: 'bt-meta' }, meta)] : null];
}

function dossierNode(fcode, d, state) {
  const meta = [dossierDates(d), tn('count_docs', d.documents)];
  const href = `#/fonds/${enc(fcode)}/dossiers/${enc(d.code)}`;
  return h('li', null, node('bt-dossier', key('d', fcode, d.code),
    label(d.title ? `${d.code} — ${d.title}` : d.code, meta.filter(Boolean).flatMap((m, i) => (i ? [' · ', m] : [m]))),
    async () => {
      const r = await get(`/fonds/${enc(fcode)}/dossiers/${enc(d.code)}` + buildQuery({ limit: FIRST_DOCS }));
      const items = r.items || [];
      return [
        items.length
          ? h('ol', { class: 'bt-docs' }, items.map((x) => h('li', { value: x.ordinal || null },
            h('a', { href: '#/doc/' + enc(x.id) }, x.subject || x.id),
            x.issued_date ? h('span', { class: 'bt-meta' }, ' · ', fmtDate(x.issued_date)) : null,
            x.access && x.access !== 'public' ? [' ', accessBadge(x.access)] : null)))
          : h('p', { class: 'muted' }, t('browse_empty_dossier')),
        h('p', { class: 'bt-links' },
          r.total > items.length
            ? [t('browse_first_docs', { k: fmtNum(items.length), n: fmtNum(r.total) }), ' ',
              h('a', { href, class: 'bt-all' }, t('browse_all_docs', { n: fmtNum(r.total) }))]
            : h('a', { href }, t('browse_dossier_page', { code: d.code }))),
      ];
    }, state));
}

function fondsNode(f, state) {
  return h('li', null, node('bt-fonds', key('f', f.code),
    label(f.name ? `${f.code} — ${f.name}` : f.code, `${tn('count_dossiers', f.dossiers)} · ${tn('count_docs', f.documents)}`),
    async () => {
      const x = await get('/fonds/' + enc(f.code));
      const series = x.series || [];
      const dossiers = x.dossiers || [];
      const list = (ds) => h('ul', { class: 'bt-list' }, ds.map((d) => dossierNode(f.code, d, state)));
      const kids = series.map((s) => {
        const mine = dossiers.filter((d) => d.series === s.code);
        return h('li', null, node('bt-series', key('s', f.code, s.code),
          label(s.title ? `${t('series_heading', { code: s.code })} — ${s.title}` : t('series_heading', { code: s.code }),
            tn('count_dossiers', mine.length)),
          async () => (mine.length ? list(mine) : h('p', { class: 'muted' }, t('series_empty'))), state));
      });
      const loose = dossiers.filter((d) => !d.series || !series.some((s) => s.code === d.series));
      return [
        h('p', { class: 'bt-links' }, h('a', { href: '#/fonds/' + enc(f.code) }, t('browse_fonds_page', { code: f.code }))),
        series.length
          ? h('ul', { class: 'bt-list' }, kids, loose.length
            ? h('li', null, node('bt-series bt-unsorted', key('u', f.code),
              label(t('unsorted_h'), tn('count_dossiers', loose.length)), async () => list(loose), state))
            : null)
          : dossiers.length ? list(dossiers) : h('p', { class: 'muted' }, t('dossiers_none')),
      ];
    }, state));
}

export async function browseView({ query }) {
  const r = await get('/fonds');
  const items = r.items || [];
  const state = { open: new Set(String(query.open || '').split(',').filter(Boolean)), root: null };
  const tree = items.length
    ? h('ul', { class: 'btree', id: 'btree', 'aria-label': t('browse_tree_label') }, items.map((f) => fondsNode(f, state)))
    : h('p', null, t('browse_none'));
  state.root = tree;
  return h('div', { class: 'browse' },
    h('h1', null, t('browse_title')),
    h('p', { class: 'lead' }, t('browse_intro')),
    tree);
}
