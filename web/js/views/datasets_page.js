// A shared dataset's page (GET /datasets/{id}): its metadata, its schema, its rows (a filter
// built from field, operator and value — the `where` text of GET /datasets/{id}/rows, `~` for
// text without tones —, sorted by a column's head, 100 a page), the downloads, a chart (Chart.js:
// a bar per unit or a line over time, from the server's group_by), the version history with the
// diff of two versions, the upload of a new version (a job followed to its end, every bad cell
// named by line and column), and the data requests (asking; for the owner, granting or refusing).
import { t, fmtDate, fmtNum, fmtTime, getLang } from '../i18n.js';
import { h, clear, buildQuery } from '../util.js';
import { get, post, upload, enc, session } from '../api.js';
import { dl, table, dateInput } from './common.js';
import { loadChart } from '../charts.js';
import {
  sectorName, typeName, isNumeric, isTime, fieldTitle, constraintsText, OPS, opName, whereText, dsError,
  ownerNames, ownerLabel, accessBadgeDs, lastLoaded, dsHref, badCell, whyVi, whoText, vnDay, sumOf,
} from './datasets_common.js';
import { mayCreate } from './datasets.js';

const PAGE = 100;

export async function datasetView({ args, query, render }) {
  const id = args[0];
  let d;
  try {
    d = await get('/datasets/' + enc(id));
  } catch (e) {
    if (e.status !== 404 || !session.user) throw e;
    /* missing, or not readable by this account (the server answers both alike): a dataset the
       agency needs may still be asked for by its id */
    let mine = [];
    try {
      mine = ((await get('/data-requests' + buildQuery({ mine: 1 }))).requests || []).filter((x) => x.dataset === id);
    } catch (err) { /* no list: the form alone */ }
    const open = mine.some((x) => x.state === 'pending' || x.state === 'granted');
    return h('div', { class: 'ds-page ds-one' },
      h('p', { class: 'crumbs' }, h('a', { href: '#/datasets' }, t('ds_title')), ' › ', id),
      h('h1', { id: 'ds-title' }, id),
      h('p', { class: 'error', role: 'alert', id: 'ds-missing' }, t('ds_err_missing')),
      h('section', { id: 'ds-requests' }, h('h2', null, t('ds_req_title')),
        mine.length ? [h('h3', null, t('ds_req_mine_title')), h('ul', { class: 'ds-req-list', id: 'ds-req-mine' }, mine.map(mineItem))] : null,
        open ? null : [h('p', null, t('ds_req_unseen')), requestForm({ id, access: null })]));
  }
  const names = await ownerNames();
  const fields = (d.schema && d.schema.fields) || [];
  const base = '/datasets/' + enc(d.id);
  const root = h('div', { class: 'ds-page ds-one' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/datasets' }, t('ds_title')), ' › ', d.id),
    h('h1', { id: 'ds-title' }, d.title || d.id),
    h('p', { class: 'ds-card-badges' }, accessBadgeDs(d.access), ' ', h('span', { class: 'badge ds-sector' }, sectorName(d.sector))),
    d.description ? h('p', { class: 'lead ds-description' }, d.description) : null);

  /* the metadata */
  const when = lastLoaded(d);
  root.append(h('section', { id: 'ds-meta', 'aria-labelledby': 'ds-meta-h' },
    h('h2', { id: 'ds-meta-h', class: 'visually-hidden' }, t('ds_meta')),
    dl([
      [t('ds_owner'), ownerLabel(names, d.owner, d.owner_name)],
      [t('ds_sector'), sectorName(d.sector)],
      [t('ds_access'), accessBadgeDs(d.access)],
      [t('ds_licence'), d.licence],
      [t('ds_frequency'), d.frequency],
      [t('ds_provenance'), d.provenance],
      [t('ds_keywords'), (d.keywords || []).length ? d.keywords.join(', ') : null],
      [t('ds_date'), d.date ? t('ds_date_text', { d: fmtDate(d.date) }) : null],
      [t('ds_rows'), fmtNum(d.rows || 0)],
      [t('ds_last_version'), d.version ? (when ? t('ds_version_on', { v: fmtNum(d.version), d: vnDay(when) }) : t('ds_v_n', { n: fmtNum(d.version) })) : t('ds_not_loaded')],
      [t('ds_created'), d.created_at ? `${vnDay(d.created_at)}${d.created_by ? ' — ' + whoText(d.created_by) : ''}` : null],
    ], 'meta ds-meta')));

  /* downloads: the export of the current version */
  const exp = (f) => `/api/v1${base}/export?format=${f}`;
  root.append(h('section', { id: 'ds-downloads', 'aria-labelledby': 'ds-dl-h' },
    h('h2', { id: 'ds-dl-h' }, t('ds_downloads')),
    d.version
      ? h('p', { class: 'plan-actions ds-downloads' },
        h('a', { class: 'button-link', href: exp('csv'), download: `${d.id}.csv`, id: 'ds-dl-csv' }, 'CSV'),
        h('a', { class: 'button-link', href: exp('xlsx'), download: `${d.id}.xlsx`, id: 'ds-dl-xlsx' }, 'Excel (XLSX)'),
        h('a', { class: 'button-link', href: exp('json'), download: `${d.id}.json`, id: 'ds-dl-json' }, 'JSON'),
        h('a', { class: 'button-link', href: exp('datapackage'), download: `${d.id}-v${d.version}.datapackage.zip`, id: 'ds-dl-dp' }, t('ds_dl_datapackage')))
      : h('p', { class: 'muted' }, t('ds_not_loaded')),
    /* the DCAT-AP description of a public dataset (what data portals harvest) */
    d.access === 'public' ? h('p', { class: 'note' }, h('a', { href: `/dcat/datasets/${enc(d.id)}.jsonld`, id: 'ds-dcat' }, t('ds_dcat')), ' ', t('ds_dcat_note')) : null));

  /* the schema */
  root.append(h('section', { id: 'ds-schema', 'aria-labelledby': 'ds-schema-h' },
    h('h2', { id: 'ds-schema-h' }, t('ds_schema')),
    table([
      [t('ds_col_field'), (f) => h('code', null, f.name)],
      [t('ds_col_title'), (f) => fieldTitle(f) === f.name ? h('span', { class: 'muted' }, t('none')) : fieldTitle(f)],
      [t('ds_col_type'), (f) => h('span', null, typeName(f), f.unitCode ? h('span', { class: 'badge ds-unit-badge', title: t('ds_unit_code_title') }, t('ds_unit_code')) : null)],
      [t('ds_col_constraints'), (f) => constraintsText(f) || h('span', { class: 'muted' }, t('none'))],
      [t('ds_col_key'), (f) => (keyOf(d.schema).includes(f.name) ? t('ds_key_yes') : '')],
    ], fields, null, 'dossier-table ds-schema-table')));

  /* the rows */
  const rowsBox = h('section', { id: 'ds-rows', 'aria-labelledby': 'ds-rows-h' });
  root.append(rowsBox);
  const state = {
    conds: parseConds(query.where, fields),
    sort: query.sort || '',
    offset: Number(query.offset) || 0,
    /* an older version's rows (?version=N); none: the current one */
    version: Number(query.version) && Number(query.version) !== d.version ? Number(query.version) : '',
  };
  const rowsSec = rowsSection(rowsBox, d, fields, state);
  if (d.version) rowsSec.load();
  else rowsBox.append(h('h2', { id: 'ds-rows-h' }, t('ds_rows_title')), h('p', { class: 'muted' }, t('ds_not_loaded')));

  /* the chart */
  if (d.version) root.append(chartSection(d, fields, state));

  /* versions and the diff */
  const versBox = h('section', { id: 'ds-versions', 'aria-labelledby': 'ds-versions-h' });
  root.append(versBox);
  versionsSection(versBox, d, fields, d.versions || []);

  /* a new version */
  if (mayCreate()) root.append(uploadSection(d, render));

  /* data requests */
  if (session.user) root.append(await requestsSection(d));
  else root.append(h('section', { id: 'ds-requests' }, h('h2', null, t('ds_req_title')),
    h('p', null, t('ds_req_login'), ' ', h('a', { href: '#/login?next=' + encodeURIComponent(dsHref(d.id)) }, t('login')))));
  return root;
}

function keyOf(schema) {
  const k = schema && schema.primaryKey;
  return !k ? [] : Array.isArray(k) ? k : [k];
}

/* ---- rows ---- */

/* The filter of the address (?where=…) back into conditions, where it reads as the builder
   writes it; anything else is kept as one raw condition. */
function parseConds(where, fields) {
  if (!where) return [];
  const out = [];
  const re = /^\s*([^\s=!<>~(]+)\s*(~|!=|>=|<=|=|>|<|between|is not null|is null)\s*(?:'((?:[^']|'')*)'(?:\s+and\s+'((?:[^']|'')*)')?)?\s*(?:and\s+|$)/i;
  let s = where;
  while (s.trim()) {
    const m = re.exec(s);
    if (!m || !fields.some((f) => f.name === m[1])) return [{ raw: where }];
    const un = (x) => (x === undefined ? '' : x.replace(/''/g, "'"));
    out.push({ field: m[1], op: m[2].toLowerCase(), a: un(m[3]), b: un(m[4]) });
    s = s.slice(m[0].length);
  }
  return out;
}

function currentWhere(state) {
  if (state.conds.length === 1 && state.conds[0].raw) return state.conds[0].raw;
  return whereText(state.conds);
}

function rowsSection(box, d, fields, state) {
  const base = '/datasets/' + enc(d.id);
  const builder = h('div', { class: 'ds-filter-rows', id: 'ds-filter-rows' });
  const out = h('div', { class: 'ds-rows-out', id: 'ds-rows-out', 'aria-live': 'polite' });
  const whereShown = h('code', { id: 'ds-where-text', class: 'ds-where' });

  const showWhere = () => {
    const w = currentWhere(state);
    whereShown.textContent = w;
    if (whereShown.parentElement) whereShown.parentElement.hidden = !w;
  };
  const condRow = (c, i) => {
    const fsel = h('select', { 'aria-label': t('ds_f_field'), class: 'ds-f-field', id: `ds-f-field-${i}` },
      fields.map((f) => h('option', { value: f.name, selected: f.name === c.field }, fieldTitle(f) === f.name ? f.name : `${fieldTitle(f)} (${f.name})`)));
    const osel = h('select', { 'aria-label': t('ds_f_op'), class: 'ds-f-op', id: `ds-f-op-${i}` },
      OPS.map(([op]) => h('option', { value: op, selected: op === c.op }, opName(op))));
    const a = h('input', { type: 'text', 'aria-label': t('ds_f_value'), class: 'ds-f-value', id: `ds-f-value-${i}`, value: c.a || '' });
    const b = h('input', { type: 'text', 'aria-label': t('ds_f_value2'), class: 'ds-f-value2', id: `ds-f-value2-${i}`, value: c.b || '' });
    const and = h('span', { class: 'ds-f-and' }, t('ds_f_and'));
    const sync = () => {
      c.field = fsel.value;
      c.op = osel.value;
      c.a = a.value;
      c.b = b.value;
      const n = (OPS.find(([o]) => o === c.op) || [null, 1])[1];
      a.hidden = n < 1;
      b.hidden = n < 2;
      and.hidden = n < 2;
      showWhere();
    };
    fsel.addEventListener('change', () => {
      /* a text field starts with "chứa (không dấu)", a number with "=" */
      const f = fields.find((x) => x.name === fsel.value);
      if (f && !a.value) osel.value = f.type === 'string' ? '~' : '=';
      sync();
    });
    osel.addEventListener('change', sync);
    a.addEventListener('input', sync);
    b.addEventListener('input', sync);
    const rm = h('button', { type: 'button', class: 'link-button ds-f-remove', 'aria-label': t('ds_f_remove'), onclick: () => {
      state.conds.splice(state.conds.indexOf(c), 1);
      drawBuilder();
      showWhere();
    } }, '×');
    setTimeout(sync, 0);
    return h('div', { class: 'ds-f-row' }, fsel, osel, a, and, b, rm);
  };
  const drawBuilder = () => {
    clear(builder);
    state.conds.forEach((c, i) => {
      if (c.raw) builder.append(h('p', { class: 'ds-f-raw' }, h('code', null, c.raw), ' ',
        h('button', { type: 'button', class: 'link-button', onclick: () => { state.conds = []; drawBuilder(); } }, t('ds_f_remove'))));
      else builder.append(condRow(c, i));
    });
  };
  const addCond = () => {
    const f = fields.find((x) => x.type === 'string') || fields[0];
    if (!f) return;
    if (state.conds.length === 1 && state.conds[0].raw) state.conds = [];
    state.conds.push({ field: f.name, op: f.type === 'string' ? '~' : '=', a: '', b: '' });
    drawBuilder();
    const last = builder.querySelectorAll('.ds-f-row');
    if (last.length) last[last.length - 1].querySelector('.ds-f-value').focus();
  };

  const keepAddress = () => {
    /* the address keeps the filter, the order and the page: a link to what is shown (no new render) */
    const q = buildQuery({ where: currentWhere(state), sort: state.sort, offset: state.offset || '', version: state.version });
    history.replaceState(null, '', dsHref(d.id) + q);
  };

  const load = async () => {
    keepAddress();
    showWhere();
    out.setAttribute('aria-busy', 'true');
    let r;
    const q = { where: currentWhere(state), sort: state.sort, limit: PAGE, offset: state.offset, version: state.version };
    try {
      /* the count of every matching row (total=1), unless counting them takes the server past
         its time limit: then the page without it ("Dòng 101–200", next while there are more) */
      try {
        r = await get(`${base}/rows` + buildQuery({ ...q, total: 1 }));
      } catch (e) {
        if (e.status !== 504) throw e;
        r = await get(`${base}/rows` + buildQuery(q));
      }
    } catch (e) {
      out.removeAttribute('aria-busy');
      clear(out).append(h('p', { class: 'error', role: 'alert', id: 'ds-rows-error' }, dsError(e)));
      return;
    }
    out.removeAttribute('aria-busy');
    clear(out).append(rowsTable(r));
  };
  state.reload = load;

  const sortBy = (name) => {
    /* ascending, then descending, then the dataset's own order */
    state.sort = state.sort === name ? '-' + name : state.sort === '-' + name ? '' : name;
    state.offset = 0;
    load();
  };

  const rowsTable = (r) => {
    const cols = r.columns || fields.map((f) => f.name);
    const rows = r.rows || [];
    const from = (r.offset || 0) + 1;
    const to = (r.offset || 0) + rows.length;
    const byName = new Map(fields.map((f) => [f.name, f]));
    const summary = h('p', { class: 'results-summary', id: 'ds-rows-count', role: 'status' },
      rows.length
        ? (r.total !== undefined && r.total !== null
          ? t('ds_rows_range_total', { a: fmtNum(from), b: fmtNum(to), n: fmtNum(r.total) })
          : t('ds_rows_range', { a: fmtNum(from), b: fmtNum(to) }))
        : t('ds_rows_none'));
    const head = cols.map((c, i) => {
      const f = byName.get(c);
      const dir = state.sort === c ? 'ascending' : state.sort === '-' + c ? 'descending' : null;
      return h('th', { scope: 'col', 'aria-sort': dir || 'none', class: f && isNumeric(f) ? 'num' : null },
        h('button', { type: 'button', class: 'ds-sort', id: `ds-sort-${i}`, 'data-col': c, title: t('ds_sort_title'), onclick: () => sortBy(c) },
          f ? fieldTitle(f) : c, h('span', { class: 'ds-sort-mark', 'aria-hidden': 'true' }, dir === 'ascending' ? ' ▲' : dir === 'descending' ? ' ▼' : ' ⇅')));
    });
    const tbl = h('div', { class: 'table-wrap ds-table-wrap' }, h('table', { class: 'ds-rows-table', id: 'ds-rows-table' },
      h('thead', null, h('tr', null, head)),
      h('tbody', null, rows.map((row) => h('tr', null, row.map((v, i) => {
        const f = byName.get(cols[i]);
        return h('td', { class: f && isNumeric(f) ? 'num' : null }, cell(v, f));
      }))))));
    const more = r.more !== undefined ? r.more : r.total !== undefined && to < r.total;
    const pager = h('nav', { class: 'pager ds-pager', 'aria-label': t('paging_label') },
      state.offset > 0 ? h('button', { type: 'button', class: 'link-button', id: 'ds-prev', onclick: () => { state.offset = Math.max(0, state.offset - PAGE); load(); } }, t('page_prev')) : null,
      h('span', { class: 'current' }, t('page_n', { n: fmtNum(Math.floor(state.offset / PAGE) + 1) }),
        r.total ? ` / ${fmtNum(Math.max(1, Math.ceil(r.total / PAGE)))}` : ''),
      more ? h('button', { type: 'button', class: 'link-button', id: 'ds-next', onclick: () => { state.offset += PAGE; load(); } }, t('page_next')) : null);
    const csv = `/api/v1${base}/rows` + buildQuery({ where: currentWhere(state), sort: state.sort, format: 'csv', version: state.version });
    const old = state.version ? h('p', { class: 'ds-old-version', id: 'ds-old-version', role: 'note' }, t('ds_v_showing_old', { n: fmtNum(state.version), c: fmtNum(d.version) })) : null;
    return h('div', null, old, summary, tbl, pager,
      currentWhere(state) ? h('p', null, h('a', { href: csv, download: `${d.id}-loc.csv`, id: 'ds-rows-csv' }, t('ds_rows_csv'))) : null);
  };

  drawBuilder();
  setTimeout(showWhere, 0);
  const vs = (d.versions || []).slice().sort((a, b) => b.version - a.version);
  const vsel = vs.length > 1 ? h('select', { id: 'ds-version', onchange: () => {
    state.version = Number(vsel.value) === d.version ? '' : Number(vsel.value);
    state.offset = 0;
    load();
  } }, vs.map((v) => h('option', { value: v.version, selected: v.version === (state.version || d.version) },
    v.version === d.version ? t('ds_v_current', { n: fmtNum(v.version) }) : t('ds_v_old', { n: fmtNum(v.version), d: vnDay(v.loaded_at) })))) : null;
  box.append(h('h2', { id: 'ds-rows-h' }, t('ds_rows_title')),
    h('form', { class: 'ds-filter', id: 'ds-filter', onsubmit: (e) => {
      e.preventDefault();
      state.offset = 0;
      load();
    } },
    h('fieldset', null, h('legend', null, t('ds_filter')),
      vsel ? h('p', { class: 'ds-version-pick' }, h('label', { for: 'ds-version' }, t('ds_v_pick')), ' ', vsel) : null,
      builder,
      h('p', { class: 'ds-filter-buttons' },
        h('button', { type: 'button', id: 'ds-f-add', onclick: addCond }, t('ds_f_add')), ' ',
        h('button', { type: 'submit', class: 'primary', id: 'ds-f-apply' }, t('ds_f_apply')), ' ',
        h('button', { type: 'button', id: 'ds-f-clear', class: 'link-button', onclick: () => { state.conds = []; state.offset = 0; drawBuilder(); load(); } }, t('ds_f_clear'))),
      h('p', { class: 'hint' }, t('ds_f_hint')),
      h('p', { class: 'hint ds-where-line' }, t('ds_f_as_text'), ' ', whereShown))),
    out);
  return { load };
}

function cell(v, f) {
  if (v === null || v === undefined || v === '') return h('span', { class: 'muted' }, t('none'));
  if (f && f.type === 'date') return fmtDate(String(v));
  if (f && f.type === 'boolean') return v === true || v === 1 || v === 'true' ? t('ds_true') : t('ds_false');
  if (f && isNumeric(f) && typeof v === 'number') return fmtNum(v);
  const s = String(v);
  if (/^https?:\/\/\S+$/.test(s)) return h('a', { href: s, rel: 'noopener noreferrer', target: '_blank', class: 'ds-url' }, s.length > 48 ? s.slice(0, 45) + '…' : s);
  return s;
}

/* ---- the chart ---- */

function chartSection(d, fields, state) {
  const base = '/datasets/' + enc(d.id);
  const numeric = fields.filter(isNumeric);
  const units = fields.filter((f) => f.unitCode);
  const times = fields.filter(isTime);
  const box = h('section', { id: 'ds-chart', 'aria-labelledby': 'ds-chart-h' }, h('h2', { id: 'ds-chart-h' }, t('ds_chart_title')));
  const kind = h('select', { id: 'ds-chart-kind' },
    h('option', { value: 'bar' }, t('ds_chart_bar')),
    h('option', { value: 'line' }, t('ds_chart_line')));
  const groupSel = h('select', { id: 'ds-chart-group' });
  const sumSel = h('select', { id: 'ds-chart-sum' },
    h('option', { value: '' }, t('ds_chart_count')),
    numeric.map((f) => h('option', { value: f.name }, sumOf(f))));
  if (numeric.length) sumSel.value = numeric[0].name;
  const fillGroups = () => {
    clear(groupSel);
    /* a bar chart groups by a unit-code column first (then any text column); a line by a date or year */
    const list = kind.value === 'bar'
      ? units.concat(fields.filter((f) => !f.unitCode && f.type === 'string'))
      : times.concat(fields.filter((f) => !times.includes(f) && (f.type === 'integer' || f.type === 'string')));
    for (const f of list) groupSel.append(h('option', { value: f.name }, fieldTitle(f) + (f.unitCode ? ` — ${t('ds_unit_code')}` : '')));
  };
  kind.addEventListener('change', fillGroups);
  if (!units.length && times.length) kind.value = 'line';
  fillGroups();
  const canvas = h('canvas', { id: 'ds-chart-canvas' });
  /* no empty frame before the first drawing */
  const fig = h('figure', { class: 'chart', hidden: true }, h('div', { class: 'chart-box' }, canvas));
  const note = h('p', { class: 'note', id: 'ds-chart-note' });
  const dataBox = h('div', { id: 'ds-chart-data' });
  const draw = async () => {
    note.textContent = '';
    clear(dataBox);
    const g = groupSel.value;
    if (!g) {
      note.textContent = t('ds_chart_no_group');
      return;
    }
    const sum = sumSel.value;
    let r;
    try {
      r = await get(`${base}/rows` + buildQuery({ where: currentWhere(state), group_by: g, count: 1, sum, sort: kind.value === 'line' ? g : '', limit: 1000, version: state.version }));
    } catch (e) {
      note.textContent = dsError(e);
      note.className = 'error';
      return;
    }
    note.className = 'note';
    const cols = r.columns || [];
    const gi = Math.max(0, cols.indexOf(g));
    let vi = sum ? cols.indexOf('sum') : cols.indexOf('count');
    if (vi < 0) vi = cols.length - 1;
    let rows = (r.rows || []).filter((x) => x[gi] !== null && x[gi] !== '');
    if (kind.value === 'line') rows = rows.slice().sort((a, b) => String(a[gi]).localeCompare(String(b[gi]), 'vi', { numeric: true }));
    else rows = rows.slice().sort((a, b) => (Number(b[vi]) || 0) - (Number(a[vi]) || 0));
    const gf = fields.find((f) => f.name === g);
    const unitNames = gf && gf.unitCode ? await unitNameMap(d.date) : null;
    const label = (v) => (unitNames && unitNames.get(String(v)) ? `${unitNames.get(String(v))} (${v})` : String(v));
    const labels = rows.map((x) => label(x[gi]));
    const values = rows.map((x) => Number(x[vi]) || 0);
    const sf = fields.find((f) => f.name === sum);
    const yTitle = sum ? sumOf(sf) : t('ds_chart_count');
    note.textContent = t('ds_chart_note', { n: fmtNum(rows.length), w: currentWhere(state) || t('ds_chart_all') });
    /* a group of several rows (two reports of one period) is their sum: said, not hidden */
    const ci = cols.indexOf('count');
    const multi = sum && ci >= 0 && ci !== vi ? rows.filter((x) => Number(x[ci]) > 1) : [];
    if (multi.length) {
      note.append(' ', h('strong', { id: 'ds-chart-multi' }, t('ds_chart_multi', { n: fmtNum(multi.length), l: multi.slice(0, 6).map((x) => `${label(x[gi])} (${fmtNum(x[ci])})`).join(', ') })));
    }
    let Chart;
    try {
      Chart = await loadChart();
    } catch (e) {
      note.textContent = t('chart_missing');
      note.className = 'error';
    }
    if (Chart) {
      fig.hidden = false;
      const old = Chart.getChart(canvas);
      if (old) old.destroy();
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', `${yTitle} — ${fieldTitle(gf || { name: g })}`);
      new Chart(canvas, {
        type: kind.value,
        data: { labels, datasets: [{ label: yTitle, data: values, backgroundColor: '#2f6fb5', borderColor: '#2f6fb5', fill: false, tension: 0 }] },
        options: {
          animation: false, responsive: true, maintainAspectRatio: false,
          indexAxis: kind.value === 'bar' && labels.length > 12 ? 'y' : 'x',
          scales: { x: { ticks: { autoSkip: kind.value === 'line' } }, y: { beginAtZero: kind.value === 'bar', ticks: { autoSkip: false } } },
          plugins: {
            legend: { display: false },
            tooltip: { callbacks: { label: (i) => `${yTitle}: ${fmtNum(i.raw)}` } },
          },
        },
      });
      /* a horizontal bar per unit needs a row of height each */
      canvas.parentElement.style.height = kind.value === 'bar' && labels.length > 12 ? `${Math.max(320, labels.length * 20 + 60)}px` : '';
    }
    dataBox.append(h('details', { class: 'chart-data' }, h('summary', null, t('chart_table')),
      table([[fieldTitle(gf || { name: g }), (x) => label(x[gi])], [yTitle, (x) => fmtNum(Number(x[vi]) || 0)],
        ...(ci >= 0 && ci !== vi ? [[t('ds_chart_count'), (x) => fmtNum(x[ci])]] : [])], rows)));
  };
  box.append(h('form', { class: 'inline-form ds-chart-form', id: 'ds-chart-form', onsubmit: (e) => { e.preventDefault(); draw(); } },
    h('div', { class: 'field' }, h('label', { for: 'ds-chart-kind' }, t('ds_chart_kind')), kind),
    h('div', { class: 'field' }, h('label', { for: 'ds-chart-group' }, t('ds_chart_group')), groupSel),
    h('div', { class: 'field' }, h('label', { for: 'ds-chart-sum' }, t('ds_chart_value')), sumSel),
    h('button', { type: 'submit', id: 'ds-chart-draw' }, t('ds_chart_draw'))),
  h('p', { class: 'hint' }, t('ds_chart_hint')),
  fig, note, dataBox);
  return box;
}

/* The names of the units on a day (GET /tree), for a chart's labels: "Phường Hà Tu (06652)". */
const unitCache = new Map();
async function unitNameMap(at) {
  const k = at || '';
  if (unitCache.has(k)) return unitCache.get(k);
  const m = new Map();
  try {
    const r = await get('/tree' + buildQuery({ at }));
    for (const u of r.items || []) m.set(u.code, u.full_name || u.name);
  } catch (e) { /* codes only */ }
  unitCache.set(k, m);
  return m;
}

/* ---- versions and the diff ---- */

function versionsSection(box, d, fields, versions) {
  clear(box);
  box.append(h('h2', { id: 'ds-versions-h' }, t('ds_versions')));
  if (!versions.length) {
    box.append(h('p', { class: 'muted' }, t('ds_not_loaded')));
    return;
  }
  const vs = versions.slice().sort((a, b) => b.version - a.version);
  box.append(table([
    [t('ds_v_version'), (v) => fmtNum(v.version)],
    [t('ds_v_when'), (v) => h('span', { class: 'nowrap' }, fmtTime(v.loaded_at))],
    [t('ds_v_by'), (v) => whoText(v.loaded_by)],
    [t('ds_v_source'), (v) => v.source || t('none')],
    [t('ds_v_mode'), (v) => (v.replace ? t('ds_v_replace') : t('ds_v_upsert'))],
    [t('ds_v_rows'), (v) => fmtNum(v.rows)],
    [t('ds_v_added'), (v) => fmtNum(v.added)],
    [t('ds_v_changed'), (v) => fmtNum(v.changed)],
    [t('ds_v_removed'), (v) => fmtNum(v.removed)],
    [t('ds_v_rejected'), (v) => (v.rejected ? h('a', { href: `/api/v1/datasets/${enc(d.id)}/versions/${v.version}/rejects`, download: `${d.id}-v${v.version}-loi.csv`, class: 'warn-text' }, fmtNum(v.rejected)) : '0')],
  ], vs, null, 'dossier-table ds-versions-table'));
  if (vs.length < 2) {
    box.append(h('p', { class: 'muted' }, t('ds_diff_one')));
    return;
  }
  const opt = (sel) => vs.map((v) => h('option', { value: v.version, selected: v.version === sel }, t('ds_v_n', { n: fmtNum(v.version) })));
  const fromSel = h('select', { id: 'ds-diff-from' }, opt(vs[1].version));
  const toSel = h('select', { id: 'ds-diff-to' }, opt(vs[0].version));
  const out = h('div', { id: 'ds-diff-out', 'aria-live': 'polite' });
  const show = async (offset = 0) => {
    let r;
    try {
      r = await get(`/datasets/${enc(d.id)}/diff` + buildQuery({ from: fromSel.value, to: toSel.value, limit: 200, offset }));
    } catch (e) {
      clear(out).append(h('p', { class: 'error', role: 'alert' }, dsError(e)));
      return;
    }
    clear(out).append(diffView(r, fields, offset, show));
  };
  box.append(h('form', { class: 'inline-form ds-diff-form', id: 'ds-diff-form', onsubmit: (e) => { e.preventDefault(); show(); } },
    h('div', { class: 'field' }, h('label', { for: 'ds-diff-from' }, t('ds_diff_from')), fromSel),
    h('div', { class: 'field' }, h('label', { for: 'ds-diff-to' }, t('ds_diff_to')), toSel),
    h('button', { type: 'submit', id: 'ds-diff-show' }, t('ds_diff_show'))), out);
  show();
}

function diffView(r, fields, offset, show) {
  const rows = r.rows || [];
  const names = fields.map((f) => f.name);
  const counts = h('p', { class: 'ds-diff-counts', id: 'ds-diff-counts' },
    h('span', { class: 'ds-diff-chip added' }, t('ds_diff_added', { n: fmtNum(r.added || 0) })), ' ',
    h('span', { class: 'ds-diff-chip changed' }, t('ds_diff_changed', { n: fmtNum(r.changed || 0) })), ' ',
    h('span', { class: 'ds-diff-chip removed' }, t('ds_diff_removed', { n: fmtNum(r.removed || 0) })));
  if (!rows.length) return h('div', null, h('p', null, t('ds_diff_title', { a: fmtNum(r.from), b: fmtNum(r.to) })), counts, h('p', { class: 'muted' }, t('ds_diff_none')));
  const keyText = (k) => (Array.isArray(k) ? k.join(' · ') : k === null || k === undefined ? '' : typeof k === 'object' ? Object.values(k).join(' · ') : String(k));
  const val = (o, n, i) => (o ? (Array.isArray(o) ? o[i] : o[n]) : undefined);
  const body = rows.map((x) => {
    const cells = names.map((n, i) => {
      const a = val(x.old, n, i);
      const b = val(x.new, n, i);
      if (x.kind === 'changed' && String(a ?? '') !== String(b ?? '')) {
        return h('td', { class: 'ds-cell-changed' }, h('del', null, a ?? ''), ' → ', h('ins', null, b ?? ''));
      }
      const v = x.kind === 'removed' ? a : b;
      return h('td', null, v === null || v === undefined ? '' : String(v));
    });
    return h('tr', { class: 'ds-diff-' + x.kind },
      h('td', null, h('span', { class: 'ds-diff-kind' }, t('ds_diff_kind_' + x.kind))),
      h('td', null, h('code', null, keyText(x.key))), cells);
  });
  const n = (r.added || 0) + (r.changed || 0) + (r.removed || 0);
  return h('div', null,
    h('p', null, t('ds_diff_title', { a: fmtNum(r.from), b: fmtNum(r.to) })), counts,
    h('div', { class: 'table-wrap ds-table-wrap' }, h('table', { class: 'ds-diff-table', id: 'ds-diff-table' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('ds_diff_kind')), h('th', { scope: 'col' }, t('ds_diff_key')),
        fields.map((f) => h('th', { scope: 'col' }, fieldTitle(f))))),
      h('tbody', null, body))),
    n > offset + rows.length || offset > 0 ? h('nav', { class: 'pager' },
      offset > 0 ? h('button', { type: 'button', class: 'link-button', onclick: () => show(Math.max(0, offset - 200)) }, t('page_prev')) : null,
      h('span', null, t('ds_rows_range_total', { a: fmtNum(offset + 1), b: fmtNum(offset + rows.length), n: fmtNum(n) })),
      n > offset + rows.length ? h('button', { type: 'button', class: 'link-button', onclick: () => show(offset + 200) }, t('page_next')) : null) : null);
}

/* ---- uploading a new version ---- */

function uploadSection(d, render) {
  const file = h('input', { type: 'file', id: 'ds-up-file', accept: '.csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });
  const replace = h('input', { type: 'checkbox', id: 'ds-up-replace' });
  const sheet = h('input', { type: 'text', id: 'ds-up-sheet', placeholder: t('ds_up_sheet_ph') });
  const status = h('div', { id: 'ds-up-status', class: 'ds-up-status', 'aria-live': 'polite' });
  const btn = h('button', { type: 'submit', class: 'primary', id: 'ds-up-submit' }, t('ds_up_submit'));
  const form = h('form', { class: 'desc-form ds-upload', id: 'ds-upload', onsubmit: async (e) => {
    e.preventDefault();
    clear(status);
    const f = file.files && file.files[0];
    if (!f) {
      status.append(h('p', { class: 'error', role: 'alert' }, t('ds_up_no_file')));
      file.focus();
      return;
    }
    btn.disabled = true;
    const bar = h('progress', { id: 'ds-up-progress', max: 100 });
    const line = h('p', { id: 'ds-up-line' }, t('ds_up_sending', { f: f.name }));
    status.append(line, bar);
    try {
      const r = await upload(`/datasets/${enc(d.id)}/load` + buildQuery({ replace: replace.checked ? 1 : 0, sheet: sheet.value.trim(), name: f.name }), f);
      const jobId = r && typeof r.job === 'object' ? r.job.id : r && r.job;
      /* 202 {"job": ID, "status": JOB}: the job as it started, then followed at /jobs/{id} */
      let job = r && typeof r.job === 'object' ? r.job : r && r.status && typeof r.status === 'object' ? r.status : { id: jobId, state: 'running' };
      while (job.state === 'running' || job.state === 'queued') {
        if (job.total) {
          bar.max = job.total;
          bar.value = job.done || 0;
          /* a CSV is followed by its bytes, an XLSX by its rows (the job's message says which) */
          line.textContent = job.message === 'bytes'
            ? t('ds_up_progress_pct', { p: fmtNum(Math.floor((100 * (job.done || 0)) / job.total)) })
            : t('ds_up_progress', { a: fmtNum(job.done || 0), b: fmtNum(job.total) });
        } else line.textContent = t('ds_up_running');
        await new Promise((res) => setTimeout(res, 400));
        job = await get('/jobs/' + enc(jobId));
      }
      bar.max = 1;
      bar.value = 1;
      clear(status).append(loadResult(job, d));
    } catch (err) {
      clear(status).append(h('p', { class: 'error', role: 'alert', id: 'ds-up-error' }, dsError(err)));
    }
    btn.disabled = false;
  } },
  h('div', { class: 'form-row' }, h('label', { for: 'ds-up-file' }, t('ds_up_file')), file, h('p', { class: 'form-hint' }, t('ds_up_file_hint'))),
  h('p', { class: 'ds-check' }, h('label', { for: 'ds-up-replace' }, replace, ' ', t('ds_up_replace'))),
  h('p', { class: 'form-hint' }, t('ds_up_replace_hint')),
  h('div', { class: 'form-row' }, h('label', { for: 'ds-up-sheet' }, t('ds_up_sheet')), sheet),
  h('p', { class: 'form-buttons' }, btn));
  return h('section', { id: 'ds-load', 'aria-labelledby': 'ds-load-h' },
    h('h2', { id: 'ds-load-h' }, t('ds_up_title')), form, status,
    h('p', { class: 'note' }, h('button', { type: 'button', class: 'link-button', id: 'ds-reload', onclick: () => render({ keepFocus: true }) }, t('ds_up_reload'))));
}

function loadResult(job, d) {
  const res = job.result || {};
  const errs = (res.errors || []).map(badCell);
  const ok = job.state === 'done';
  const fresh = res.new_version !== false && (res.added || res.changed || res.removed || res.new_version);
  const out = h('div', { class: 'ds-load-result' + (ok && fresh ? '' : ' bad'), id: 'ds-load-result' });
  if (ok && fresh) {
    out.append(h('p', { class: 'ds-load-line', role: 'status' }, t('ds_up_done', {
      v: fmtNum(res.version), r: fmtNum(res.rows), a: fmtNum(res.added || 0), c: fmtNum(res.changed || 0),
      x: fmtNum(res.removed || 0), u: fmtNum(res.unchanged || 0), j: fmtNum(res.rejected || 0),
    })));
  } else if (ok) {
    out.append(h('p', { class: 'ds-load-line', role: 'status' }, t('ds_up_nothing', {
      r: fmtNum(res.rows || 0), u: fmtNum(res.unchanged || 0), j: fmtNum(res.rejected || 0), v: fmtNum(res.version || 0),
    })));
  } else {
    out.append(h('p', { class: 'error', role: 'alert' }, t('ds_up_failed', { m: whyVi(job.message) || job.message || '' })));
  }
  if (errs.length) {
    out.append(h('p', { class: 'warn-text', id: 'ds-bad-count' }, t('ds_up_bad', { n: fmtNum(res.rejected || errs.length), k: fmtNum(res.bad_cells || errs.length) })),
      table([
        [t('ds_bad_line'), (e) => (e.line ? fmtNum(e.line) : t('none'))],
        [t('ds_bad_column'), (e) => (e.column ? t('ds_bad_column_n', { n: fmtNum(e.column) }) : t('none'))],
        [t('ds_bad_field'), (e) => (e.field ? h('code', null, e.field) : t('none'))],
        [t('ds_bad_value'), (e) => (e.value === undefined || e.value === null ? t('none') : h('code', null, String(e.value)))],
        [t('ds_bad_error'), (e) => {
          const vi = getLang() === 'vi' ? whyVi(e.error) : null;
          return vi ? h('span', null, vi, h('br'), h('span', { class: 'muted ds-why-orig', lang: 'en' }, e.error)) : e.error || '';
        }],
      ], errs, t('ds_bad_caption'), 'dossier-table ds-bad-table'));
    /* the rejects kept by the server (its address in the result), else the version's */
    const rej = res.rejects || (fresh && res.version ? `/api/v1/datasets/${enc(d.id)}/versions/${res.version}/rejects` : null);
    if (rej) out.append(h('p', null, h('a', { href: rej, download: `${d.id}-loi.csv`, id: 'ds-rejects-link' }, t('ds_bad_download'))));
  }
  return out;
}

/* ---- data requests (docs/api.md "Sharing datasets between agencies") ---- */

/* A public dataset needs no request (anyone reads it); the owner's agency needs none either.
   The owner's officers decide the pending requests (grant; refuse or revoke in writing: a reason
   and a legal basis, Nghị định 194/2025/NĐ-CP Điều 16 k2); the requesting agency sees its own
   requests and the answers. */
async function requestsSection(d) {
  const box = h('section', { id: 'ds-requests', 'aria-labelledby': 'ds-req-h' }, h('h2', { id: 'ds-req-h' }, t('ds_req_title')));
  let all = [];
  let mineIds = new Set();
  let listErr = null;
  try {
    const [r, m] = await Promise.all([get('/data-requests'), get('/data-requests' + buildQuery({ mine: 1 }))]);
    all = (r.requests || []).filter((x) => x.dataset === d.id);
    mineIds = new Set((m.requests || []).filter((x) => x.dataset === d.id).map((x) => x.id));
  } catch (e) {
    if (e.status !== 404 && e.status !== 403) listErr = e;
  }
  const mine = all.filter((x) => mineIds.has(x.id));
  const others = all.filter((x) => !mineIds.has(x.id));
  const pending = others.filter((x) => x.state === 'pending');
  const granted = others.filter((x) => x.state === 'granted');
  if (pending.length) {
    box.append(h('h3', null, t('ds_req_pending', { n: fmtNum(pending.length) })),
      h('ul', { class: 'ds-req-list', id: 'ds-req-pending' }, pending.map((x) => decideItem(x, 'pending'))));
  }
  if (granted.length) {
    box.append(h('h3', null, t('ds_req_granted_list', { n: fmtNum(granted.length) })),
      h('ul', { class: 'ds-req-list', id: 'ds-req-granted' }, granted.map((x) => decideItem(x, 'granted'))));
  }
  const decided = others.filter((x) => x.state === 'refused' || x.state === 'revoked');
  if (decided.length) {
    box.append(h('details', { class: 'ds-req-old' }, h('summary', null, t('ds_req_decided', { n: fmtNum(decided.length) })),
      h('ul', { class: 'ds-req-list' }, decided.map((x) => h('li', { class: 'ds-req-item state-' + x.state }, h('h4', null, t('ds_req_n', { n: x.id }), ' ', reqState(x)), reqFacts(x))))));
  }
  if (listErr) box.append(h('p', { class: 'muted' }, dsError(listErr)));
  if (mine.length) {
    box.append(h('h3', null, t('ds_req_mine_title')),
      h('ul', { class: 'ds-req-list', id: 'ds-req-mine' }, mine.map(mineItem)));
  }
  /* the user's agency (GET /me says it: `halong agency assign`), else their unit */
  const myAgency = session.user.agency || session.user.unit_code || null;
  if (d.access === 'public') box.append(h('p', { class: 'note', id: 'ds-req-public' }, t('ds_req_public')));
  else if (myAgency && myAgency === d.owner) box.append(h('p', { class: 'note', id: 'ds-req-owner' }, t('ds_req_owner')));
  else if (mine.some((x) => x.state === 'pending' || x.state === 'granted')) { /* one open request per agency */ } else box.append(requestForm(d));
  return box;
}

function mineItem(x) {
  return h('li', { class: 'ds-req-item state-' + x.state, id: `ds-req-${x.id}` }, h('h4', null, t('ds_req_n', { n: x.id }), ' ', reqState(x)), reqFacts(x));
}

function reqState(x) {
  const st = h('span', { class: 'badge ds-req-state state-' + x.state }, t('ds_req_state_' + x.state));
  return x.overdue ? h('span', null, st, ' ', h('span', { class: 'badge badge-late ds-req-overdue' }, t('ds_req_overdue'))) : st;
}

function reqFacts(x) {
  return dl([
    [t('ds_req_agency'), x.agency_name ? `${x.agency_name} (${x.agency})` : x.agency],
    [t('ds_req_by'), x.requested_by],
    [t('ds_req_at'), x.requested_at ? fmtTime(x.requested_at) : null],
    [t('ds_req_due'), x.due && x.state === 'pending' ? fmtDate(String(x.due).slice(0, 10)) : null],
    [t('ds_req_purpose'), x.purpose],
    [t('ds_req_basis'), x.legal_basis],
    [t('ds_req_decided_at'), x.decided_at ? `${fmtTime(x.decided_at)}${x.decided_by ? ' — ' + x.decided_by : ''}` : null],
    [t('ds_req_reason_shown'), x.reason],
    [t('ds_req_decision_basis_shown'), x.decision_basis],
    [t('ds_req_until_shown'), x.until ? fmtDate(String(x.until).slice(0, 10)) : null],
  ], 'meta ds-req-meta');
}

/* A pending request: grant or refuse; a granted one: revoke. Refusing and revoking need a
   reason and a legal basis: the form does not send without them. */
function decideItem(x, state) {
  const li = h('li', { class: 'ds-req-item state-' + x.state, id: `ds-req-${x.id}` }, h('h4', null, t('ds_req_n', { n: x.id }), ' ', reqState(x)), reqFacts(x));
  const reason = h('textarea', { id: `ds-req-reason-${x.id}`, rows: 2 });
  const basis = h('input', { type: 'text', id: `ds-req-basis-${x.id}`, placeholder: t('ds_req_basis_ph') });
  const until = dateInput({ id: `ds-req-until-${x.id}` }, '');
  const msg = h('div', { class: 'form-msg', id: `ds-req-msg-${x.id}`, role: 'alert' });
  const decide = async (what) => {
    msg.className = 'form-msg';
    msg.textContent = '';
    reason.removeAttribute('aria-invalid');
    basis.removeAttribute('aria-invalid');
    const r = reason.value.trim();
    const b = basis.value.trim();
    if (what !== 'grant' && (!r || !b)) {
      if (!r) reason.setAttribute('aria-invalid', 'true');
      if (!b) basis.setAttribute('aria-invalid', 'true');
      msg.className = 'form-msg bad';
      msg.textContent = t(what === 'refuse' ? 'ds_req_refuse_needs' : 'ds_req_revoke_needs');
      (r ? basis : reason).focus();
      return;
    }
    const body = {};
    if (r) body.reason = r;
    if (b) body.legal_basis = b;
    if (what === 'grant') {
      const u = until.iso();
      if (u === null) return; /* not a day: said beside the field */
      if (u) body.until = u;
    }
    try {
      const out = await post(`/data-requests/${enc(x.id)}/${what}`, body);
      clear(li).append(h('h4', null, t('ds_req_n', { n: x.id }), ' ', reqState(out || { state: what })), reqFacts(out || x),
        h('p', { class: 'flash', role: 'status', id: `ds-req-done-${x.id}` }, t('ds_req_done_' + what)));
    } catch (e) {
      msg.className = 'form-msg bad';
      msg.textContent = dsError(e);
    }
  };
  const rows = [
    h('div', { class: 'form-row' }, h('label', { for: reason.id }, t(state === 'pending' ? 'ds_req_reason' : 'ds_req_reason_revoke')), reason),
    h('div', { class: 'form-row' }, h('label', { for: basis.id }, t(state === 'pending' ? 'ds_req_decision_basis' : 'ds_req_decision_basis_revoke')), basis),
  ];
  if (state === 'pending') rows.push(h('div', { class: 'form-row' }, h('label', { for: until.input.id }, t('ds_req_until')), until));
  li.append(h('form', { class: 'desc-form ds-decide', novalidate: true, onsubmit: (e) => e.preventDefault() },
    rows,
    h('p', { class: 'form-buttons' }, state === 'pending'
      ? [h('button', { type: 'button', class: 'primary', id: `ds-req-grant-${x.id}`, onclick: () => decide('grant') }, t('ds_req_grant')), ' ',
        h('button', { type: 'button', id: `ds-req-refuse-${x.id}`, onclick: () => decide('refuse') }, t('ds_req_refuse'))]
      : h('button', { type: 'button', id: `ds-req-revoke-${x.id}`, onclick: () => decide('revoke') }, t('ds_req_revoke'))),
    msg));
  return li;
}

function requestForm(d) {
  const purpose = h('textarea', { id: 'ds-req-purpose', rows: 3, required: true });
  const basis = h('input', { type: 'text', id: 'ds-req-legal', required: true, placeholder: t('ds_req_basis_ph') });
  const msg = h('div', { class: 'form-msg', id: 'ds-req-msg', role: 'alert' });
  const form = h('form', { class: 'desc-form ds-req-form', id: 'ds-req-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    msg.className = 'form-msg';
    msg.textContent = '';
    const p = purpose.value.trim();
    const b = basis.value.trim();
    purpose.toggleAttribute('aria-invalid', !p);
    basis.toggleAttribute('aria-invalid', !b);
    if (!p || !b) {
      msg.className = 'form-msg bad';
      msg.textContent = t('ds_req_needs');
      (p ? basis : purpose).focus();
      return;
    }
    try {
      const r = await post(`/datasets/${enc(d.id)}/requests`, { purpose: p, legal_basis: b });
      clear(form).append(h('p', { class: 'flash', role: 'status', id: 'ds-req-sent' },
        t('ds_req_sent', { n: r && r.id !== undefined ? r.id : '', d: r && r.due ? fmtDate(String(r.due).slice(0, 10)) : t('none') })));
    } catch (err) {
      msg.className = 'form-msg bad';
      msg.textContent = dsError(err);
    }
  } },
  h('h3', null, t('ds_req_ask')),
  h('p', { class: 'form-hint' }, t('ds_req_ask_hint')),
  h('div', { class: 'form-row' }, h('label', { for: 'ds-req-purpose' }, t('ds_req_purpose'), h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')), purpose),
  h('div', { class: 'form-row' }, h('label', { for: 'ds-req-legal' }, t('ds_req_basis'), h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')), basis),
  h('p', { class: 'form-buttons' }, h('button', { type: 'submit', class: 'primary', id: 'ds-req-submit' }, t('ds_req_submit'))),
  msg);
  return form;
}

