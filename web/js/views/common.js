// Small pieces several views share: access-level badges, definition lists, tables, unit links.
import { t, fmtDate, fmtNum, parseDate, dateFormatHint, getLang } from '../i18n.js';
import { h } from '../util.js';

export function accessBadge(level) {
  if (!level) return null;
  return h('span', { class: 'badge access-' + level }, t('access_' + level));
}

/* rows: [[label, value-node-or-text], …]; empty values are left out. */
export function dl(rows, cls) {
  return h('dl', { class: cls || 'meta' }, rows
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

/* cols: [[header, row => cell], …]; cls: a class of the frame ("dossier-table": on a phone its
   rows become cards, each cell under its header's name, data-label, which the style sheet shows). */
export function table(cols, rows, caption, cls) {
  /* a header that is a node (a visually hidden one) names no cell */
  const label = (c) => (c instanceof Node ? null : String(c));
  return h('div', { class: cls ? 'table-wrap ' + cls : 'table-wrap' }, h('table', null,
    caption ? h('caption', null, caption) : null,
    h('thead', null, h('tr', null, cols.map(([c]) => h('th', { scope: 'col' }, c)))),
    h('tbody', null, rows.map((r) => h('tr', null, cols.map(([c, f]) => h('td', cls ? { 'data-label': label(c) } : null, f(r))))))));
}

export function unitLink(code, name, at) {
  if (!code) return t('none');
  const href = '#/units/' + encodeURIComponent(code) + (at ? '?at=' + at : '');
  return h('a', { href }, name ? `${name} (${code})` : code);
}

/* A unit's level: as the data names it in Vietnamese; in English, translated with the Vietnamese
   word kept ("ward (phường)"), which is how the units are named in the data. */
export function unitType(u) {
  const vi = u.type_name || u.type || '';
  const en = u.type ? t('utype_' + u.type) : '';
  return en && en !== 'utype_' + u.type && getLang() === 'en' ? `${en} (${vi})` : vi;
}

/* Numbered pages: ‹ 1 … 4 5 [6] 7 8 … 35 ›. href(offset) is a page's address; the last page is
   offered only when the total is exact (a search's estimate says "about"). */
export function pager(href, offset, limit, total, exact = true) {
  const cur = Math.floor(offset / limit) + 1;
  const last = Math.max(1, Math.ceil(total / limit));
  const nums = new Set([1, cur - 2, cur - 1, cur, cur + 1, cur + 2]);
  if (exact) nums.add(last);
  const list = [...nums].filter((n) => n >= 1 && n <= last).sort((a, b) => a - b);
  const items = [];
  let prev = 0;
  for (const n of list) {
    if (n > prev + 1) items.push(h('span', { class: 'gap', 'aria-hidden': 'true' }, '…'));
    items.push(n === cur
      ? h('span', { class: 'current', 'aria-current': 'page' }, fmtNum(n))
      : h('a', { href: href((n - 1) * limit), 'aria-label': t('page_n', { n }) }, fmtNum(n)));
    prev = n;
  }
  if (!exact && cur < last && prev === cur + 2 && prev < last) items.push(h('span', { class: 'gap', 'aria-hidden': 'true' }, '…'));
  return h('nav', { class: 'pager', 'aria-label': t('paging_label') },
    cur > 1 ? h('a', { href: href((cur - 2) * limit), rel: 'prev' }, t('page_prev')) : null,
    items,
    cur < last ? h('a', { href: href(cur * limit), rel: 'next' }, t('page_next')) : null);
}

/* A document type as the record names it; in English with a translation of the common types of
   Vietnamese administrative documents before it ("Decision (Quyết định)"). */
const DOC_TYPES_EN = {
  'quyết định': 'Decision', 'công văn': 'Official letter', 'báo cáo': 'Report', 'tờ trình': 'Submission',
  'nghị quyết': 'Resolution', 'kế hoạch': 'Plan', 'thông báo': 'Notice', 'điều luật': 'Article of law',
  'luật': 'Law', 'nghị định': 'Decree', 'thông tư': 'Circular', 'chỉ thị': 'Directive', 'biên bản': 'Minutes',
  'hợp đồng': 'Contract', 'giấy phép': 'Permit', 'công điện': 'Official dispatch', 'hướng dẫn': 'Guidance',
  'chương trình': 'Programme', 'đề án': 'Scheme', 'dự án': 'Project', 'giấy chứng nhận': 'Certificate',
};
export function docType(v) {
  if (!v || getLang() !== 'en') return v || null;
  const en = DOC_TYPES_EN[v.normalize('NFC').toLowerCase()];
  return en ? `${en} (${v})` : v;
}

/* A language code as its name in the reader's language ("vi" → "Tiếng Việt" / "Vietnamese"). */
export function languageName(code) {
  if (!code) return null;
  try {
    return new Intl.DisplayNames([getLang()], { type: 'language' }).of(code) || code;
  } catch (e) {
    return code;
  }
}

export function mergeKind(kind, mergeType) {
  /* merge_type is the source's Vietnamese wording; the kind is translated for English readers. */
  let k = t('kind_' + kind);
  if (k === 'kind_' + kind) k = kind || '';
  return mergeType && mergeType.toLowerCase() !== k ? `${mergeType} (${k})` : mergeType || k;
}

export { fmtDate };

/* A date field that reads the same in every browser locale (a type="date" field shows mm/dd/yyyy
   to an en-US browser): text in the language's format, said in its placeholder. `.iso()` is the
   day typed as yyyy-mm-dd, '' when empty; a day that does not exist marks the field invalid, says
   so beside it and gives null. */
export function dateInput(attrs, iso) {
  const hint = dateFormatHint();
  const input = h('input', { ...attrs, type: 'text', inputmode: 'numeric', autocomplete: 'off',
    placeholder: hint, title: hint, value: iso ? fmtDate(iso) : '', class: 'date-input' });
  const msg = h('span', { class: 'field-error', role: 'alert' });
  const wrap = h('span', { class: 'date-field' }, input, msg);
  wrap.input = input;
  wrap.iso = () => {
    const v = input.value.trim();
    if (!v) return '';
    const d = parseDate(v);
    input.setAttribute('aria-invalid', d ? 'false' : 'true');
    msg.textContent = d ? '' : t('date_invalid', { v, f: hint });
    return d;
  };
  return wrap;
}
