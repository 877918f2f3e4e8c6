// "Dữ liệu dùng chung": the catalogue of shared datasets (GET /datasets: a tone-free search over
// title, description and keywords, done by the server; facets by sector, owner and unit), each
// dataset a card leading to its page (js/views/datasets_page.js); and the form an officer
// creates a dataset with (POST /datasets: its metadata and its Table Schema as JSON).
import { t, fmtNum } from '../i18n.js';
import { h, buildQuery } from '../util.js';
import { get, post, session, enc } from '../api.js';
import { dl, dateInput, pager } from './common.js';
import { SECTORS, ACCESS, sectorName, ownerLabel, lastLoaded, dsHref, accessBadgeDs, dsError, vnDay } from './datasets_common.js';

/* ---- the catalogue ---- */

const PAGE = 50;

export async function datasetsView({ query, go }) {
  const q = query.q || '';
  const sector = query.sector || '';
  const owner = query.owner || '';
  const unit = query.unit || '';
  const offset = Number(query.offset) || 0;
  const r = await get('/datasets' + buildQuery({ q, sector, owner, unit, offset: offset || '', limit: PAGE }));
  const list = r.datasets || [];
  const facets = r.facets || {};
  const names = new Map();
  for (const [code, v] of Object.entries(facets.owner || {})) if (v && v.name) names.set(code, v.name);
  for (const d of list) if (d.owner_name) names.set(d.owner, d.owner_name);
  const here = (o) => '#/datasets' + buildQuery({ q, sector, owner, unit, offset: '', ...o });

  const root = h('div', { class: 'ds-page' },
    h('h1', null, t('ds_title')),
    h('p', { class: 'lead' }, t('ds_intro')));
  if (mayCreate()) root.append(h('p', { class: 'plan-actions' }, h('a', { href: '#/datasets/new', class: 'button-link', id: 'ds-new-link' }, t('ds_new_title'))));

  /* the search box: the server folds tones, so "du lich" finds "du lịch" */
  const qIn = h('input', { id: 'ds-q', name: 'q', type: 'search', value: q, placeholder: t('ds_q_placeholder'), autocomplete: 'off', spellcheck: 'false' });
  const unitIn = h('input', { id: 'ds-unit', name: 'unit', type: 'text', value: unit, placeholder: t('ds_unit_placeholder'), inputmode: 'numeric', class: 'ds-unit-input' });
  root.append(h('form', { class: 'inline-form ds-search', id: 'ds-search', role: 'search', onsubmit: (e) => {
    e.preventDefault();
    go('#/datasets' + buildQuery({ q: qIn.value.trim(), sector, owner, unit: unitIn.value.trim() }));
  } },
  h('div', { class: 'field ds-q-field' }, h('label', { for: 'ds-q' }, t('ds_q_label')), qIn),
  h('div', { class: 'field' }, h('label', { for: 'ds-unit' }, t('ds_unit_label')), unitIn),
  h('button', { type: 'submit' }, t('search_button'))));
  root.append(h('p', { class: 'hint' }, t('ds_q_hint')));

  /* what filters the list now */
  const active = [];
  if (q) active.push([t('ds_f_q', { v: q }), here({ q: '' })]);
  if (sector) active.push([t('ds_f_sector', { v: sectorName(sector) }), here({ sector: '' })]);
  if (owner) active.push([t('ds_f_owner', { v: ownerLabel(names, owner) }), here({ owner: '' })]);
  if (unit) active.push([t('ds_f_unit', { v: unit }), here({ unit: '' })]);

  const side = h('aside', { class: 'facets ds-facets', 'aria-label': t('facets_label') });
  const sf = facets.sector || {};
  const sectors = Object.keys(sf).sort((a, b) => SECTORS.indexOf(a) - SECTORS.indexOf(b));
  side.append(facetBox('ds-facet-sector', t('ds_facet_sector'), sectors.map((s) => [sectorName(s), sf[s], here({ sector: s === sector ? '' : s }), s === sector, s])));
  const of = facets.owner || {};
  side.append(facetBox('ds-facet-owner', t('ds_facet_owner'), Object.keys(of)
    .sort((a, b) => countOf(of[b]) - countOf(of[a]) || a.localeCompare(b))
    .map((c) => [ownerLabel(names, c), countOf(of[c]), here({ owner: c === owner ? '' : c }), c === owner, c])));
  if (facets.unit) {
    const uf = facets.unit;
    side.append(facetBox('ds-facet-unit', t('ds_facet_unit'), Object.keys(uf)
      .sort((a, b) => countOf(uf[b]) - countOf(uf[a]))
      .slice(0, 30)
      .map((c) => [uf[c] && uf[c].name ? `${uf[c].name} (${c})` : c, countOf(uf[c]), here({ unit: c === unit ? '' : c }), c === unit, c])));
  }

  const main = h('div', { class: 'ds-results' });
  main.append(h('p', { class: 'results-summary', id: 'ds-count', role: 'status' },
    list.length ? t('ds_count', { n: fmtNum(r.total !== undefined ? r.total : list.length) }) : t('ds_none')));
  if (active.length) {
    main.append(h('p', { class: 'active-filters' }, h('span', null, t('filters_active'), ': '),
      active.map(([label, href]) => h('a', { class: 'chip', href, 'aria-label': t('filter_remove', { f: label }) }, label, ' ×'))));
  }
  main.append(h('ul', { class: 'plan-cards ds-cards', id: 'ds-list' }, list.map((d) => card(d, names))));
  if ((r.total || 0) > PAGE) main.append(pager((o) => here({ offset: o || '' }), offset, PAGE, r.total));
  fillDates(main, list);
  root.append(h('div', { class: 'search-layout ds-layout' }, side, main));
  return root;
}

function countOf(v) {
  return typeof v === 'number' ? v : (v && v.count) || 0;
}

function facetBox(id, title, items) {
  if (!items.length) return null;
  /* on a phone the lists fold, so that the datasets come first */
  return h('details', { class: 'facet', id, open: window.innerWidth > 600 },
    h('summary', { class: 'facets-title' }, title),
    h('ul', null, items.map(([label, n, href, on, key]) => h('li', null,
      h('a', { href, class: on ? 'facet-on' : null, 'aria-current': on ? 'true' : null, 'data-key': key },
        h('span', { class: 'facet-label' }, label), ' ', h('span', { class: 'count' }, fmtNum(n)))))));
}

/* The list gives each dataset's loaded_at; a card without one (an older server) reads its
   versions after the page is shown. */
function fillDates(box, list) {
  for (const d of list) {
    if (!d.version || lastLoaded(d)) continue;
    get('/datasets/' + enc(d.id) + '/versions').then((r) => {
      const when = lastLoaded({ versions: r.versions || [] });
      const el = box.querySelector(`.ds-card[data-id="${CSS.escape(d.id)}"] .ds-last`);
      if (when && el) el.textContent = t('ds_version_on', { v: fmtNum(d.version), d: vnDay(when) });
    }).catch(() => { /* the number stays */ });
  }
}

function card(d, names) {
  const when = lastLoaded(d);
  return h('li', { class: 'plan-card ds-card', 'data-id': d.id },
    h('h2', null, h('a', { href: dsHref(d.id) }, d.title || d.id)),
    h('p', { class: 'ds-card-badges' }, accessBadgeDs(d.access), ' ', h('span', { class: 'badge ds-sector' }, sectorName(d.sector))),
    dl([
      [t('ds_owner'), ownerLabel(names, d.owner, d.owner_name)],
      [t('ds_rows'), fmtNum(d.rows || 0)],
      [t('ds_last_version'), h('span', { class: 'ds-last' }, d.version ? (when ? t('ds_version_on', { v: fmtNum(d.version), d: vnDay(when) }) : t('ds_v_n', { n: fmtNum(d.version) })) : t('ds_not_loaded'))],
      [t('ds_id'), h('code', null, d.id)],
    ], 'meta plan-meta'));
}

/* ---- creating a dataset ---- */

export function mayCreate() {
  const u = session.user;
  return !!u && ['officer', 'inspector', 'archivist', 'admin'].includes(u.role);
}

const SCHEMA_EXAMPLE = `{
  "fields": [
    {"name": "ma", "title": "Mã đơn vị", "type": "string", "unitCode": true},
    {"name": "nam", "title": "Năm", "type": "integer"},
    {"name": "so_luot_khach", "title": "Số lượt khách", "type": "integer", "constraints": {"minimum": 0}}
  ],
  "primaryKey": ["ma", "nam"]
}`;

export async function datasetNewView({ go }) {
  const root = h('div', { class: 'ds-page ds-new' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/datasets' }, t('ds_title')), ' › ', t('ds_new_title')),
    h('h1', null, t('ds_new_title')));
  if (!session.user) {
    root.append(h('p', { class: 'error', role: 'alert' }, t('ds_err_login'), ' ',
      h('a', { href: '#/login?next=' + encodeURIComponent('#/datasets/new') }, t('login'))));
    return root;
  }
  if (!mayCreate()) {
    root.append(h('p', { class: 'error', role: 'alert' }, t('ds_new_not_allowed')));
    return root;
  }
  root.append(h('p', { class: 'lead' }, t('ds_new_intro')));
  const msg = h('div', { class: 'form-msg', id: 'ds-new-msg', role: 'alert' });
  const inputs = {};
  const row = (name, label, el, hint, req) => {
    inputs[name] = el;
    el.id = 'ds-new-' + name;
    el.name = name;
    if (req) el.required = true;
    return h('div', { class: 'form-row' },
      h('label', { for: el.id }, label, req ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
      el, hint ? h('p', { class: 'form-hint' }, hint) : null);
  };
  const u = session.user;
  const day = dateInput({ id: 'ds-new-date', name: 'date' }, '');
  const dateRow = () => h('div', { class: 'form-row' }, h('label', { for: 'ds-new-date' }, t('ds_new_date')), day, h('p', { class: 'form-hint' }, t('ds_new_date_hint')));
  const form = h('form', { class: 'desc-form ds-new-form', id: 'ds-new-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    msg.textContent = '';
    msg.className = 'form-msg';
    for (const el of Object.values(inputs)) el.removeAttribute('aria-invalid');
    const miss = ['id', 'title', 'owner', 'schema'].filter((k) => !inputs[k].value.trim());
    if (miss.length) {
      for (const k of miss) inputs[k].setAttribute('aria-invalid', 'true');
      bad(msg, t('ds_new_missing', { f: miss.map((k) => t(k === 'title' ? 'ds_new_title_f' : 'ds_new_' + k)).join(', ') }));
      inputs[miss[0]].focus();
      return;
    }
    const date = day.iso();
    if (date === null) {
      day.input.focus();
      return;
    }
    let schema;
    try {
      schema = JSON.parse(inputs.schema.value);
    } catch (err) {
      inputs.schema.setAttribute('aria-invalid', 'true');
      bad(msg, t('ds_new_schema_json', { m: err.message }));
      inputs.schema.focus();
      return;
    }
    const body = {
      id: inputs.id.value.trim(),
      title: inputs.title.value.trim(),
      description: inputs.description.value.trim() || undefined,
      owner: inputs.owner.value.trim(),
      sector: inputs.sector.value,
      access: inputs.access.value,
      keywords: inputs.keywords.value.split(',').map((x) => x.trim()).filter(Boolean),
      licence: inputs.licence.value.trim() || undefined,
      frequency: inputs.frequency.value.trim() || undefined,
      provenance: inputs.provenance.value.trim() || undefined,
      date: date || undefined,
      schema,
    };
    const btn = form.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      const d = await post('/datasets', body);
      const { setFlash } = await import('../app.js');
      setFlash(t('ds_new_done', { id: d.id || body.id }));
      go(dsHref(d.id || body.id));
    } catch (err) {
      /* the server names the field it refuses: "schema: field 2 …", "owner: …", "id: …" */
      const m = /^(\w+)[:\s]/.exec(err.message || '');
      const f = m && inputs[m[1]] ? m[1] : null;
      if (f) inputs[f].setAttribute('aria-invalid', 'true');
      bad(msg, err.status === 409 ? t('ds_new_exists', { id: body.id }) : dsError(err));
      btn.disabled = false;
    }
  } },
  row('id', t('ds_new_id'), h('input', { type: 'text', autocomplete: 'off', pattern: '[A-Za-z0-9._-]{1,64}', maxlength: 64 }), t('ds_new_id_hint'), true),
  row('title', t('ds_new_title_f'), h('input', { type: 'text' }), null, true),
  row('description', t('ds_new_description'), h('textarea', { rows: 3 })),
  row('owner', t('ds_new_owner'), h('input', { type: 'text', value: u.unit_code || '' }), t('ds_new_owner_hint'), true),
  row('sector', t('ds_new_sector'), h('select', null, SECTORS.map((s) => h('option', { value: s }, sectorName(s))))),
  row('access', t('ds_new_access'), h('select', null, ACCESS.filter((a) => a !== 'secret').map((a) => h('option', { value: a, selected: a === 'internal' }, t('access_' + a)))), t('ds_new_access_hint')),
  row('keywords', t('ds_new_keywords'), h('input', { type: 'text' }), t('ds_new_keywords_hint')),
  row('licence', t('ds_new_licence'), h('input', { type: 'text', placeholder: 'CC-BY-4.0' })),
  row('frequency', t('ds_new_frequency'), h('input', { type: 'text', placeholder: t('ds_new_frequency_ph') })),
  row('provenance', t('ds_new_provenance'), h('input', { type: 'text' })),
  dateRow(),
  row('schema', t('ds_new_schema'), h('textarea', { rows: 12, class: 'ds-schema-input', spellcheck: 'false', placeholder: SCHEMA_EXAMPLE }), t('ds_new_schema_hint'), true),
  h('p', { class: 'form-buttons' }, h('button', { type: 'submit', class: 'primary', id: 'ds-new-submit' }, t('ds_new_submit'))),
  msg);
  root.append(form,
    h('details', { class: 'ds-schema-help' }, h('summary', null, t('ds_new_schema_example')), h('pre', null, SCHEMA_EXAMPLE)));
  return root;
}

function bad(box, text) {
  box.className = 'form-msg bad';
  box.textContent = text;
  box.scrollIntoView({ block: 'center' });
}

