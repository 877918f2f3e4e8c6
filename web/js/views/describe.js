// Archival description as archivists write it (ISAD(G) levels; Thông tư 02/2019/TT-BNV): a fonds'
// description, its series (mục lục hồ sơ) each with its dossiers, the dossiers in no series, a
// dossier's own description; and for archivists and admins the forms that change them (PATCH
// /fonds/{code}, PUT|DELETE /fonds/{code}/series/{s}, PATCH /fonds/{code}/dossiers/{d}). Who may
// is the server's rule (the unit holding the fonds today, or the province): the buttons are
// offered to the roles that may describe at all, and a refusal is shown beside the form, gist in
// the reader's language first, then the server's own words.
import { t, tn, fmtDate, fmtDateRange, fmtRetention, fmtNum } from '../i18n.js';
import { h, clear } from '../util.js';
import { patch, put, del, enc, session } from '../api.js';
import { dl, table } from './common.js';

export const DESCRIBE_ROLES = ['archivist', 'admin'];

/* The server says whether the caller may describe this fonds (its unit holds it, or it is the
   province's); without its word, the roles that may describe at all. */
export function mayDescribe(x) {
  if (x && typeof x.may_describe === 'boolean') return x.may_describe;
  return !!(session.user && DESCRIBE_ROLES.includes(session.user.role));
}

/* ---------- reading ---------- */

/* A value read off the documents, not written by an archivist: said so after it. */
function fromDocs(text) {
  return h('span', { class: 'from-docs' }, text, ' ',
    h('span', { class: 'from-docs-mark', title: t('from_docs_title') }, `(${t('from_docs')})`));
}

/* Free text of several paragraphs (history, scope, notes): line breaks kept, never markup. */
function prose(s) {
  return s ? h('div', { class: 'prose' }, s) : null;
}

/* A dossier's dates: the archivist's, else the first–last date of the documents one sees. */
export function dossierDates(d) {
  const own = fmtDateRange(d.date_from, d.date_to);
  if (own) return own;
  const docs = fmtDateRange(d.first_date, d.last_date);
  return docs ? fromDocs(docs) : null;
}

/* A dossier's retention: the archivist's, else the longest of its documents'. */
export function dossierRetention(d) {
  const own = fmtRetention(d.retention);
  if (own) return own;
  const docs = fmtRetention(d.doc_retention);
  return docs ? fromDocs(docs) : null;
}

function seriesLabel(s) {
  return s.title ? `${t('series_heading', { code: s.code })} — ${s.title}` : t('series_heading', { code: s.code });
}

/* The span of a fonds' records from its dossiers (each dossier's own dates, else its
   documents'). Null when none is known. */
function fondsSpan(dossiers) {
  let lo = null;
  let hi = null;
  for (const d of dossiers) {
    const a = d.date_from || d.first_date;
    const b = d.date_to || d.last_date || a;
    if (a && (!lo || a < lo)) lo = a;
    if (b && (!hi || b > hi)) hi = b;
  }
  return lo || hi ? fmtDateRange(lo, hi) : null;
}

/* ---------- a note after a change: shown where the change was, once ---------- */

let note = null;

function noteFor(where, text) {
  note = { where, text };
}

/* Puts the pending note (if any) into `root` at the element of its id, or at the top, and
   moves the focus there once the page is drawn. */
export function placeNote(root) {
  if (!note) return;
  const { where, text } = note;
  note = null;
  const at = root.querySelector('#' + CSS.escape(where)) || root;
  const p = h('p', { class: 'flash desc-note', role: 'status', id: 'desc-note' }, text);
  const head = at.querySelector('h2, h3');
  if (head && head.parentNode === at) head.after(p);
  else at.prepend(p);
  setTimeout(() => {
    const target = head || p;
    target.setAttribute('tabindex', '-1');
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: 'start' });
  }, 0);
}

/* ---------- forms ---------- */

class LocalError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

/* The API's refusal as a sentence for the reader. labelOf(key) names a field of the form. */
export function descError(e, labelOf) {
  const m = e.message || '';
  const key = (/^(\w+)[: ]/.exec(m) || [])[1];
  const f = (key && labelOf(key)) || key || '';
  if (e.status === 401) return t('desc_err_login');
  if (e.status === 403) return t('desc_err_denied');
  if (e.status === 404) return t('desc_err_notfound');
  if (e.status === 409) return t('desc_err_busy');
  if (/bad date/.test(m)) return t('desc_err_date', { f });
  if (/is after date_to/.test(m)) return t('desc_err_order');
  if (/has no series/.test(m)) return t('desc_err_series');
  if (/^retention/.test(m)) return t('desc_err_retention');
  if (/keeps a (name|title)|give its title/.test(m)) return t('desc_err_title', { f: labelOf('title') || 'title' });
  if (/at most \d+ bytes/.test(m)) return t('desc_err_long', { f });
  return t('desc_err_other');
}

/* The field a refusal names ("date_from: bad date …", "series … is new: give its title"). */
function errorField(e) {
  const m = e.message || '';
  if (/give its title/.test(m)) return 'title';
  return (/^(\w+)[: ]/.exec(m) || [])[1] || null;
}

/* A form of description fields. fields: [{key, kind, label, value, required, hint, options}],
   kind one of text, area, dates (keys date_from and date_to; value [from, to]), retention,
   select (options [[value, label]]). save(body) sends it and draws the page again; a refusal
   stays in the form. cancel() closes it. */
export function descForm({ id, heading, fields, save, cancel }) {
  const ctl = {}; /* key → the control to mark and focus */
  const errs = {}; /* key → the line under its field that repeats the refusal's gist */
  const labels = {};
  const errLine = (...keys) => {
    const el = h('p', { class: 'field-error', id: `${id}-${keys[0]}-err` });
    for (const k of keys) errs[k] = el;
    return el;
  };
  const getters = [];
  const msg = h('div', { class: 'form-msg', id: id + '-msg', role: 'alert' });
  const rows = [];
  const hintId = (key) => `${id}-${key}-hint`;

  for (const f of fields) {
    const fid = `${id}-${f.key}`;
    labels[f.key] = f.label;
    if (f.kind === 'dates') {
      const [from, to] = f.value || [];
      const one = (key, lab, v) => {
        const input = h('input', { id: `${id}-${key}`, name: key, type: 'text', inputmode: 'numeric', autocomplete: 'off',
          placeholder: t('date_placeholder_partial'), value: v ? fmtDate(v) : '', class: 'date-input',
          'aria-describedby': hintId('dates') });
        ctl[key] = input;
        labels[key] = `${f.label} (${lab.toLowerCase()})`;
        getters.push(() => [key, input.value.trim()]);
        return h('span', { class: 'field' }, h('label', { for: input.id }, lab), input);
      };
      rows.push(h('fieldset', { class: 'form-row dates-row', id: fid },
        h('legend', null, f.label),
        h('div', { class: 'date-pair' }, one('date_from', t('date_from'), from), one('date_to', t('date_to'), to)),
        h('p', { class: 'form-hint', id: hintId('dates') }, t('date_hint_partial')),
        errLine('date_from', 'date_to')));
      continue;
    }
    if (f.kind === 'retention') {
      const v = f.value || '';
      const kind = v === 'permanent' ? 'permanent' : v ? 'years' : '';
      const sel = h('select', { id: fid, name: 'retention' },
        [['', t('ret_none')], ['permanent', t('ret_kind_permanent')], ['years', t('ret_kind_years')]]
          .map(([val, lab]) => h('option', { value: val, selected: val === kind }, lab)));
      const years = h('input', { id: fid + '-years', name: 'retention_years', type: 'number', min: '1', max: '999',
        step: '1', inputmode: 'numeric', value: kind === 'years' ? v : '', class: 'years-input' });
      const yearsField = h('span', { class: 'field years-field', hidden: kind !== 'years' },
        h('label', { for: years.id }, t('ret_years_label')), years);
      sel.addEventListener('change', () => {
        yearsField.hidden = sel.value !== 'years';
        if (sel.value === 'years') years.focus();
      });
      ctl.retention = sel;
      getters.push(() => {
        if (sel.value !== 'years') return ['retention', sel.value];
        const n = years.value.trim();
        if (!/^\d+$/.test(n) || Number(n) < 1) {
          ctl.retention = years;
          throw new LocalError('retention', t('ret_years_missing'));
        }
        ctl.retention = sel;
        return ['retention', String(Number(n))];
      });
      rows.push(h('fieldset', { class: 'form-row retention-row' },
        h('legend', null, f.label),
        h('div', { class: 'date-pair' }, h('span', { class: 'field' }, h('label', { for: fid, class: 'visually-hidden' }, f.label), sel), yearsField),
        errLine('retention')));
      continue;
    }
    let input;
    if (f.kind === 'area') {
      input = h('textarea', { id: fid, name: f.key, rows: '4', lang: 'vi' });
      input.value = f.value || '';
    } else if (f.kind === 'select') {
      input = h('select', { id: fid, name: f.key },
        f.options.map(([val, lab]) => h('option', { value: val, selected: val === (f.value || '') }, lab)));
    } else {
      input = h('input', { id: fid, name: f.key, type: 'text', value: f.value || '', autocomplete: 'off',
        required: !!f.required, 'aria-required': f.required ? 'true' : null });
    }
    if (f.hint) input.setAttribute('aria-describedby', hintId(f.key));
    ctl[f.key] = input;
    getters.push(() => [f.key, f.kind === 'select' ? input.value : input.value.trim()]);
    rows.push(h('div', { class: 'form-row' },
      h('label', { for: fid }, f.label, f.required ? h('span', { class: 'req' }, ` (${t('form_required')})`) : null),
      input,
      f.hint ? h('p', { class: 'form-hint', id: hintId(f.key) }, f.hint) : null,
      errLine(f.key)));
  }

  const saveBtn = h('button', { type: 'submit', id: id + '-save' }, t('form_save'));
  const cancelBtn = h('button', { type: 'button', id: id + '-cancel' }, t('form_cancel'));
  const titleId = id + '-h';
  const form = h('form', { class: 'desc-form', id, 'aria-labelledby': titleId, novalidate: true },
    h('h3', { id: titleId, tabindex: '-1' }, heading),
    rows,
    h('div', { class: 'form-buttons' }, saveBtn, cancelBtn),
    msg);

  const unmark = () => {
    for (const el of form.querySelectorAll('[aria-invalid="true"]')) {
      el.removeAttribute('aria-invalid');
      el.setAttribute('aria-describedby', (el.getAttribute('aria-describedby') || '').replace(/\s*\S+-err$/, ''));
    }
    for (const el of Object.values(errs)) el.textContent = '';
  };
  /* The refusal beside the buttons (where the eyes are after "Lưu"), its gist again under the
     field it names, which gets the focus. */
  const show = (gist, detail, key) => {
    /* append() writes a null as the text "null": only what there is */
    clear(msg).append(h('p', { class: 'form-gist' }, gist));
    if (detail) msg.append(h('p', { class: 'form-detail' }, t('desc_server_said'), ' ', h('q', { lang: 'en' }, detail)));
    msg.className = 'form-msg bad';
    const el = key && ctl[key];
    if (el) {
      el.setAttribute('aria-invalid', 'true');
      if (errs[key]) {
        errs[key].textContent = gist;
        el.setAttribute('aria-describedby', `${el.getAttribute('aria-describedby') || ''} ${errs[key].id}`.trim());
      }
      el.focus();
    }
  };

  let initial = {};
  try {
    initial = Object.fromEntries(getters.map((g) => g()));
  } catch (e) { /* a value the form cannot read back: sent as typed */ }

  cancelBtn.addEventListener('click', () => cancel());
  form.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      cancel();
    }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    unmark();
    let body;
    try {
      /* only what changed: a field left as it was is not the server's to check again (a fonds
         named by no one can be dated without being named first) */
      body = Object.fromEntries(getters.map((g) => g()).filter(([k, v]) => initial[k] !== v));
    } catch (le) {
      show(le.message, null, le.field);
      return;
    }
    if (!Object.keys(body).length) {
      msg.className = 'form-msg';
      clear(msg).append(t('form_unchanged'));
      return;
    }
    saveBtn.disabled = cancelBtn.disabled = true;
    msg.className = 'form-msg';
    clear(msg).append(t('form_saving'));
    try {
      await save(body);
    } catch (err) {
      if (err instanceof LocalError) show(err.message, null, err.field);
      else show(descError(err, (k) => labels[k]), err.message, errorField(err));
      saveBtn.disabled = cancelBtn.disabled = false;
    }
  });
  form.focusFirst = () => {
    const first = form.querySelector('input, textarea, select');
    if (first) first.focus();
  };
  return form;
}

/* One editor open on a page at a time: opening one closes the other, its button told. */
let openEditor = null;

function toggleEditor(slot, button, make) {
  const was = openEditor;
  if (was) was.close(false);
  if (was && was.button === button) return; /* a second click closes it */
  const ed = {
    button,
    close(refocus) {
      clear(slot);
      button.setAttribute('aria-expanded', 'false');
      if (openEditor === ed) openEditor = null;
      if (refocus) button.focus();
    },
  };
  const form = make(() => ed.close(true));
  slot.append(form);
  button.setAttribute('aria-expanded', 'true');
  openEditor = ed;
  if (form.focusFirst) form.focusFirst();
}

function editButton(id, text, label, controls) {
  return h('button', { type: 'button', id, class: 'edit-button', 'aria-expanded': 'false', 'aria-controls': controls,
    'aria-label': label || null }, text);
}

/* ---------- the fonds ---------- */

/* The fonds' description block: name, dates (its own, else the span of its dossiers, said as
   read from the documents), extent, history, scope, notes; "Sửa mô tả phông" for editors. */
export function fondsDescSection(f, rerender) {
  const fcode = f.fonds_code || f.code;
  const d = f.description || {};
  const name = d.title || f.fonds_name || f.name;
  const span = fondsSpan(f.dossiers || []);
  const described = d.date_from || d.date_to || d.extent || d.history || d.scope || d.notes;
  const slot = h('div', { class: 'editor-slot', id: 'fonds-desc-slot' });
  let button = null;
  if (mayDescribe(f)) {
    button = editButton('fonds-desc-edit', t('desc_edit'), null, 'fonds-desc-slot');
    button.addEventListener('click', () => toggleEditor(slot, button, (close) => descForm({
      id: 'fonds-desc-form',
      heading: t('desc_form_h', { code: fcode }),
      fields: [
        { key: 'title', kind: 'text', label: t('desc_title'), value: name, required: true },
        { key: 'dates', kind: 'dates', label: t('desc_dates'), value: [d.date_from, d.date_to] },
        { key: 'extent', kind: 'text', label: t('desc_extent'), value: d.extent },
        { key: 'history', kind: 'area', label: t('desc_history'), value: d.history },
        { key: 'scope', kind: 'area', label: t('desc_scope'), value: d.scope },
        { key: 'notes', kind: 'area', label: t('desc_notes'), value: d.notes },
      ],
      save: async (body) => {
        await patch(`/fonds/${enc(fcode)}`, body);
        noteFor('fonds-desc', t('desc_saved_fonds'));
        rerender();
      },
      cancel: close,
    })));
  }
  return h('section', { class: 'desc', id: 'fonds-desc', 'aria-labelledby': 'fonds-desc-h' },
    h('h2', { id: 'fonds-desc-h' }, t('desc_h')),
    dl([
      [t('desc_title'), name],
      [t('desc_dates'), fmtDateRange(d.date_from, d.date_to) || (span ? fromDocs(span) : null)],
      [t('desc_extent'), d.extent],
      [t('desc_history'), prose(d.history)],
      [t('desc_scope'), prose(d.scope)],
      [t('desc_notes'), prose(d.notes)],
    ], 'meta desc-list'),
    described ? null : h('p', { class: 'muted', id: 'fonds-desc-none' }, t('desc_none')),
    button ? h('div', { class: 'edit-bar' }, button) : null,
    slot);
}

/* The dossiers of a list as a table: code, title, dates, retention, documents, pages (a column
   no row fills is left out), and "Sửa" for editors, whose form opens under the table. */
function dossierTable(f, dossiers, rerender) {
  const fcode = f.fonds_code || f.code;
  const slot = h('div', { class: 'editor-slot' });
  const cols = [
    [t('dossier_code'), (d) => h('a', { href: `#/fonds/${enc(fcode)}/dossiers/${enc(d.code)}` }, d.code)],
    dossiers.some((d) => d.title) ? [t('dossier_title'), (d) => d.title || t('none')] : null,
    dossiers.some((d) => d.date_from || d.date_to || d.first_date || d.last_date)
      ? [t('dossier_dates'), (d) => dossierDates(d) || t('none')] : null,
    dossiers.some((d) => d.retention || d.doc_retention) ? [t('dossier_retention'), (d) => dossierRetention(d) || t('none')] : null,
    [t('dossier_docs'), (d) => fmtNum(d.documents)],
    dossiers.some((d) => d.pages) ? [t('dossier_pages'), (d) => (d.pages ? fmtNum(d.pages) : t('none'))] : null,
    rerender ? [h('span', { class: 'visually-hidden' }, t('dossier_edit')), (d) => {
      const b = editButton(`dossier-edit-${d.code}`, t('dossier_edit'), t('dossier_edit_label', { code: d.code }), null);
      b.addEventListener('click', () => toggleEditor(slot, b, (close) => dossierForm(f, d, close, (saved) => {
        noteFor(saved.series ? 'series-' + saved.series : (f.series || []).length ? 'dossiers-unsorted' : 'dossiers', t('desc_saved_dossier', { code: d.code }));
        rerender();
      })));
      return b;
    }] : null,
  ].filter(Boolean);
  return [table(cols, dossiers, null, 'dossier-table'), slot];
}

/* The form of a dossier's description; the series chosen among the fonds'. */
export function dossierForm(f, d, close, saved) {
  const fcode = f.fonds_code || f.code;
  const series = f.series || [];
  return descForm({
    id: 'dossier-form',
    heading: t('dossier_form_h', { code: d.code }),
    fields: [
      { key: 'title', kind: 'text', label: t('dossier_title'), value: d.title },
      { key: 'series', kind: 'select', label: t('dossier_series'), value: d.series || '',
        options: [['', t('dossier_no_series')], ...series.map((s) => [s.code, seriesLabel(s)]),
          /* a series the reader cannot see any more still names the dossier's */
          ...(d.series && !series.some((s) => s.code === d.series) ? [[d.series, t('series_heading', { code: d.series })]] : [])] },
      { key: 'dates', kind: 'dates', label: t('dossier_dates'), value: [d.date_from, d.date_to] },
      { key: 'retention', kind: 'retention', label: t('dossier_retention'), value: d.retention },
      { key: 'extent', kind: 'text', label: t('dossier_extent'), value: d.extent },
      { key: 'notes', kind: 'area', label: t('dossier_notes'), value: d.notes },
    ],
    save: async (body) => {
      const r = await patch(`/fonds/${enc(fcode)}/dossiers/${enc(d.code)}`, body);
      saved(r);
    },
    cancel: close,
  });
}

function seriesForm(f, s, close, rerender) {
  const fcode = f.fonds_code || f.code;
  const isNew = !s;
  const v = s || {};
  return descForm({
    id: 'series-form',
    heading: isNew ? t('series_add_h', { code: fcode }) : t('series_edit_h', { code: s.code }),
    fields: [
      isNew ? { key: 'code', kind: 'text', label: t('series_code'), required: true, hint: t('series_code_hint') } : null,
      { key: 'title', kind: 'text', label: t('series_title'), value: v.title, required: true },
      { key: 'dates', kind: 'dates', label: t('series_dates'), value: [v.date_from, v.date_to] },
      { key: 'extent', kind: 'text', label: t('series_extent'), value: v.extent },
      { key: 'scope', kind: 'area', label: t('series_scope'), value: v.scope },
      { key: 'notes', kind: 'area', label: t('series_notes'), value: v.notes },
    ].filter(Boolean),
    save: async (body) => {
      const code = isNew ? body.code : s.code;
      delete body.code;
      if (!code) throw new LocalError('code', t('series_code_missing'));
      if (code.includes('/')) throw new LocalError('code', t('series_code_slash'));
      await put(`/fonds/${enc(fcode)}/series/${enc(code)}`, body);
      noteFor('series-' + code, t('desc_saved_series', { code }));
      rerender();
    },
    cancel: close,
  });
}

/* Removing a series: asked in place (no browser dialog), the server's 409 explained. */
function removeBox(f, s, close, rerender) {
  const fcode = f.fonds_code || f.code;
  const msg = h('div', { class: 'form-msg', id: 'series-remove-msg', role: 'alert' });
  const yes = h('button', { type: 'button', id: 'series-remove-yes', class: 'danger' }, t('series_remove_yes'));
  const no = h('button', { type: 'button', id: 'series-remove-no' }, t('series_remove_no'));
  no.addEventListener('click', () => close());
  yes.addEventListener('click', async () => {
    yes.disabled = no.disabled = true;
    try {
      await del(`/fonds/${enc(fcode)}/series/${enc(s.code)}`);
      noteFor('series-list', t('series_removed', { code: s.code }));
      rerender();
    } catch (e) {
      clear(msg).append(h('p', { class: 'form-gist' }, descError(e, () => null)),
        h('p', { class: 'form-detail' }, t('desc_server_said'), ' ', h('q', { lang: 'en' }, e.message)));
      msg.className = 'form-msg bad';
      yes.disabled = no.disabled = false;
      no.focus();
    }
  });
  const box = h('div', { class: 'desc-form remove-box', id: 'series-remove', role: 'group', 'aria-labelledby': 'series-remove-q' },
    h('p', { id: 'series-remove-q' }, t('series_remove_q', { code: s.code })),
    h('div', { class: 'form-buttons' }, yes, no), msg);
  box.focusFirst = () => no.focus();
  return box;
}

/* The series (mục lục hồ sơ), each with its dossiers under it, then the dossiers in no series;
   with no series at all, the dossiers alone as before (and the way to add one, for editors). */
export function arrangement(f, rerender) {
  const series = f.series || [];
  const dossiers = f.dossiers || [];
  const editing = mayDescribe(f) ? rerender : null;
  const out = [];
  if (series.length || editing) {
    const addSlot = h('div', { class: 'editor-slot' });
    let add = null;
    if (editing) {
      add = editButton('series-add', t('series_add'), null, null);
      add.addEventListener('click', () => toggleEditor(addSlot, add, (close) => seriesForm(f, null, close, rerender)));
    }
    out.push(h('section', { id: 'series-list', 'aria-labelledby': 'series-list-h' },
      h('h2', { id: 'series-list-h' }, t('series_h')),
      series.length ? null : h('p', { class: 'muted', id: 'series-none' }, t('series_none')),
      series.map((s) => {
        const mine = dossiers.filter((d) => d.series === s.code);
        const slot = h('div', { class: 'editor-slot' });
        let buttons = null;
        if (editing) {
          const eb = editButton(`series-edit-${s.code}`, t('series_edit'), t('series_edit_label', { code: s.code }), null);
          eb.addEventListener('click', () => toggleEditor(slot, eb, (close) => seriesForm(f, s, close, rerender)));
          const rb = editButton(`series-remove-${s.code}`, t('series_remove'), t('series_remove_label', { code: s.code }), null);
          rb.addEventListener('click', () => toggleEditor(slot, rb, (close) => removeBox(f, s, close, rerender)));
          buttons = h('div', { class: 'edit-bar' }, eb, rb);
        }
        return h('section', { class: 'series', id: 'series-' + s.code, 'aria-labelledby': `series-${s.code}-h` },
          h('h3', { id: `series-${s.code}-h` }, seriesLabel(s)),
          dl([
            [t('series_dates'), fmtDateRange(s.date_from, s.date_to)],
            [t('series_extent'), s.extent],
            [t('series_scope'), prose(s.scope)],
            [t('series_notes'), prose(s.notes)],
            [t('fonds_dossiers'), fmtNum(s.dossiers)],
          ], 'meta desc-list series-meta'),
          buttons, slot,
          mine.length ? dossierTable(f, mine, editing) : h('p', { class: 'muted' }, t('series_empty')));
      }),
      add ? h('div', { class: 'edit-bar' }, add) : null,
      addSlot));
  }
  const loose = series.length ? dossiers.filter((d) => !d.series || !series.some((s) => s.code === d.series)) : dossiers;
  if (series.length && !loose.length) return out;
  out.push(h('section', { id: series.length ? 'dossiers-unsorted' : 'dossiers', 'aria-labelledby': 'dossiers-h' },
    h('h2', { id: 'dossiers-h' }, series.length ? t('unsorted_h') : t('dossiers')),
    loose.length ? dossierTable(f, loose, editing) : h('p', { class: 'muted', id: 'no-dossiers' }, t('dossiers_none'))));
  return out;
}

/* ---------- the dossier ---------- */

/* A dossier's description above its documents: title, series (a link to it in the fonds),
   dates, retention, extent, what its documents count, notes; "Sửa mô tả hồ sơ" for editors.
   f is the fonds (its series' titles and the choice of series), or null. */
export function dossierDescSection(r, f, fcode, rerender) {
  const series = (f && f.series) || [];
  const s = r.series ? series.find((x) => x.code === r.series) : null;
  const slot = h('div', { class: 'editor-slot', id: 'dossier-desc-slot' });
  const described = r.title || r.series || r.date_from || r.date_to || r.retention || r.extent || r.notes;
  let button = null;
  if (mayDescribe(r)) {
    button = editButton('dossier-desc-edit', t('dossier_desc_edit'), null, 'dossier-desc-slot');
    button.addEventListener('click', () => toggleEditor(slot, button, (close) =>
      dossierForm(f || { code: fcode, series: [] }, r, close, () => {
        noteFor('dossier-desc', t('desc_saved_dossier', { code: r.code }));
        rerender();
      })));
  }
  return h('section', { class: 'desc', id: 'dossier-desc', 'aria-labelledby': 'dossier-desc-h' },
    h('h2', { id: 'dossier-desc-h' }, t('dossier_desc_h')),
    dl([
      [t('dossier_title'), r.title],
      [t('dossier_series'), r.series
        ? h('a', { href: `#/fonds/${enc(fcode)}?series=${enc(r.series)}`, id: 'dossier-series-link' }, s ? seriesLabel(s) : t('series_heading', { code: r.series }))
        : null],
      [t('dossier_dates'), dossierDates(r)],
      [t('dossier_retention'), dossierRetention(r)],
      [t('dossier_extent'), r.extent],
      [t('dossier_counts'), `${tn('count_docs', r.documents)}, ${tn('count_pages', r.pages || 0)}`],
      [t('dossier_notes'), prose(r.notes)],
    ], 'meta desc-list'),
    described ? null : h('p', { class: 'muted', id: 'dossier-desc-none' }, t('dossier_not_described')),
    button ? h('div', { class: 'edit-bar' }, button) : null,
    slot);
}
