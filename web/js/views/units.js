// The units browser: find a unit by name (tones optional, old names too), a unit's page (its
// versions on a timeline with the 2025 reform and Quảng Ninh's 2026 change marked, parent, legal
// basis, predecessors and successors with merge types) and the tree under it on a date.
import { t, fmtDate, fmtNum } from '../i18n.js';
import { h, clear, buildQuery, todayIso, dayBefore } from '../util.js';
import { get, enc } from '../api.js';
import { table, unitLink, mergeKind, dateInput, unitType } from './common.js';

/* The dates of the reforms the archive is built around (DOMAIN.md). */
const REFORMS = { '2025-07-01': 'reform_2025', '2026-09-01': 'reform_2026' };

function validity(u) {
  const from = u.valid_from
    ? (u.valid_from_known === false ? t('unit_from_unknown', { d: fmtDate(u.valid_from) }) : t('unit_from', { d: fmtDate(u.valid_from) }))
    : '';
  const to = u.valid_to ? t('unit_to', { d: fmtDate(u.valid_to) }) : t('unit_current');
  return `${from} ${to}`.trim();
}

export async function unitsView({ query, go }) {
  const q = (query.q || '').trim();
  const at = query.at || '';
  const input = h('input', { id: 'unit-q', name: 'q', type: 'search', value: q, placeholder: t('units_search_placeholder'), autocomplete: 'off' });
  const date = dateInput({ id: 'unit-at', name: 'at' }, at);
  const form = h('form', { class: 'inline-form', role: 'search', onsubmit: (e) => {
    e.preventDefault();
    const day = date.iso();
    if (day === null) return;
    go('#/units' + buildQuery({ q: input.value.trim(), at: day }));
  } },
  h('div', { class: 'field' }, h('label', { for: 'unit-q' }, t('units_search_label')), input),
  h('div', { class: 'field' }, h('label', { for: 'unit-at' }, t('units_at')), date),
  h('button', { type: 'submit' }, t('search_button')));

  const root = h('div', null, h('h1', null, t('units_title')), h('p', { class: 'lead' }, t('units_intro')), form);
  if (!q) {
    root.append(h('p', null, h('a', { href: '#/units/22' }, 'Quảng Ninh (22)')));
    return root;
  }
  const r = await get('/units' + buildQuery({ q, at, limit: 50 }));
  const items = r.items || [];
  root.append(items.length
    ? table([
      [t('unit_code'), (u) => h('a', { href: `#/units/${enc(u.code)}?at=${u.valid_to || u.valid_from || ''}` }, u.code)],
      [t('unit_name'), (u) => h('a', { href: `#/units/${enc(u.code)}?at=${u.valid_to || u.valid_from || ''}` }, u.full_name || u.name)],
      [t('unit_type'), (u) => unitType(u)],
      [t('unit_parent'), (u) => (u.parent_code ? unitLink(u.parent_code, u.parent_name, u.valid_to || null) : t('none'))],
      [t('unit_valid'), validity],
    ], items)
    : h('p', { role: 'status' }, t('units_none')));
  return root;
}

/* Every version of a code, oldest first: today's (or the latest) and, going back a day before
   each known start, the ones before it. */
async function versionsOf(code) {
  const out = [];
  let u;
  try {
    u = await get(`/units/${enc(code)}`);
  } catch (e) {
    if (e.status !== 404) throw e;
    return out;
  }
  out.unshift(u);
  for (let i = 0; i < 10 && u.valid_from && u.valid_from_known !== false; i++) {
    try {
      u = await get(`/units/${enc(code)}` + buildQuery({ at: dayBefore(u.valid_from) }));
    } catch (e) {
      break;
    }
    if (out.some((v) => v.valid_from === u.valid_from)) break;
    out.unshift(u);
  }
  return out;
}

function dedupe(list) {
  const seen = new Set();
  return list.filter((s) => {
    const k = [s.old_code, s.old_name, s.new_code, s.new_name, s.effective_date].join('|');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function successionTable(rows) {
  return table([
    [t('succ_old'), (s) => unitLink(s.old_code, s.old_name, dayBefore(s.effective_date))],
    [t('succ_new'), (s) => unitLink(s.new_code, s.new_name, s.effective_date)],
    [t('succ_type'), (s) => mergeKind(s.kind, s.merge_type)],
    [t('succ_date'), (s) => fmtDate(s.effective_date)],
    [t('succ_basis'), (s) => s.legal_basis || t('none')],
  ], rows);
}

function timeline(code, versions, selected) {
  const items = [];
  versions.forEach((v, i) => {
    if (i > 0) {
      const key = REFORMS[v.valid_from];
      items.push(h('li', { class: 'tl-change' + (key ? ' reform' : '') },
        h('span', { class: 'tl-date' }, t('reform_marker', { d: fmtDate(v.valid_from) })),
        key ? h('span', { class: 'tl-reform' }, t(key)) : null,
        h('span', { class: 'tl-arrow', 'aria-hidden': 'true' }, '→')));
    }
    const isSel = selected && v.valid_from === selected.valid_from;
    items.push(h('li', { class: 'tl-version' + (isSel ? ' selected' : '') + (v.valid_to ? '' : ' current') },
      h('span', { class: 'tl-when' }, i === 0 && versions.length > 1 ? t('reform_before') : (i === versions.length - 1 && versions.length > 1 ? t('reform_after') : '')),
      h('a', { class: 'tl-name', href: `#/units/${enc(code)}?at=${v.valid_to || todayIso()}` }, v.full_name || v.name),
      h('span', { class: 'tl-parent' }, v.parent_code ? `${t('unit_parent')}: ${v.parent_name} (${v.parent_code})` : ''),
      h('span', { class: 'tl-valid' }, validity(v)),
      v.legal_basis ? h('span', { class: 'tl-basis' }, `${t('unit_basis')}: ${v.legal_basis}`) : null));
  });
  return h('section', { class: 'timeline-box' },
    h('h2', null, t('unit_history')),
    h('ol', { class: 'timeline', 'aria-label': t('unit_timeline_label', { code }) }, items));
}

export async function unitView({ args, query, go }) {
  const code = args[0];
  const at = query.at || '';
  const [selected, versions] = await Promise.all([
    get(`/units/${enc(code)}` + buildQuery({ at })),
    versionsOf(code),
  ]);
  /* Predecessors and successors are those of the version shown (a code reused after a merge has
     different ones before and after); the timeline above shows every version of the code. */
  const preds = dedupe(selected.predecessors || []);
  const succs = dedupe(selected.successors || []);
  const reformed = versions.some((v) => REFORMS[v.valid_from]) || preds.concat(succs).some((s) => REFORMS[s.effective_date]);

  const treeDate = dateInput({ id: 'tree-at' }, at || todayIso());
  const treeOut = h('div', { class: 'tree-out', 'aria-live': 'polite' });
  const loadTree = async () => {
    const day = treeDate.iso();
    if (day === null) return;
    clear(treeOut).append(h('p', { class: 'loading' }, t('loading')));
    try {
      const r = await get(`/units/${enc(code)}/tree` + buildQuery({ at: day }));
      clear(treeOut).append(tree(r.items || [], day));
    } catch (e) {
      clear(treeOut).append(h('p', { class: 'error' }, e.status === 404 ? t('not_found') : t('error', { m: e.message })));
    }
  };

  const root = h('div', { class: 'unit-page' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/units' }, t('units_title'))),
    h('h1', { id: 'unit-title' }, selected.full_name || selected.name, ` (${selected.code})`,
      reformed ? h('span', { class: 'badge reform-badge' }, t('unit_reform_badge')) : null),
    h('dl', { class: 'meta' },
      h('dt', null, t('unit_type')), h('dd', null, unitType(selected)),
      h('dt', null, t('unit_parent')), h('dd', null, selected.parent_code ? unitLink(selected.parent_code, selected.parent_name, at || null) : t('none')),
      h('dt', null, t('unit_valid')), h('dd', null, validity(selected)),
      h('dt', null, t('unit_basis')), h('dd', null, selected.legal_basis || t('none'))),
    versions.length ? timeline(code, versions, selected) : null,
    h('section', null, h('h2', null, t('unit_predecessors')),
      preds.length ? successionTable(preds) : h('p', { class: 'muted' }, t('unit_none_pred'))),
    h('section', null, h('h2', null, t('unit_successors')),
      succs.length ? successionTable(succs) : h('p', { class: 'muted' }, t('unit_none_succ'))),
    h('section', null, h('h2', null, t('unit_tree')),
      h('form', { class: 'inline-form', onsubmit: (e) => { e.preventDefault(); loadTree(); } },
        h('div', { class: 'field' }, h('label', { for: 'tree-at' }, t('units_at')), treeDate),
        h('button', { type: 'submit' }, t('unit_tree_show'))),
      treeOut));
  loadTree();
  return root;
}

function tree(items, at) {
  const shown = items.slice(0, 500);
  return h('div', null,
    h('p', { class: 'muted' }, t('unit_tree_count', { n: fmtNum(items.length) })),
    h('ul', { class: 'tree' }, shown.map((u) => h('li', { style: { '--depth': u.depth || 0 } },
      unitLink(u.code, u.full_name || u.name, at), ' ', h('span', { class: 'muted' }, unitType(u))))));
}
