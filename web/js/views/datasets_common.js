// What the shared-data pages (js/views/datasets.js, datasets_page.js) share: the names of
// sectors, field types and operators in the reader's language, the owner's name, the filter text
// a row filter becomes (the `where` of GET /datasets/{id}/rows), and the server's refusals as a
// sentence.
import { t, fmtNum, fmtDate, getLang } from '../i18n.js';
import { h } from '../util.js';
import { get, enc } from '../api.js';

/* The sectors of a dataset (src/lib/catalog/README.md), in the catalogue's order. */
export const SECTORS = ['tourism', 'health', 'education', 'agriculture', 'environment', 'taxation', 'finance',
  'transport', 'industry', 'population', 'land', 'culture', 'justice', 'labour', 'other'];

export function sectorName(s) {
  if (!s) return t('none');
  const k = 'ds_sector_' + s;
  const n = t(k);
  return n === k ? s : n;
}

export const ACCESS = ['public', 'internal', 'restricted', 'secret'];

/* A field type of the Table Schema as a person says it. */
export function typeName(f) {
  const k = 'ds_type_' + f.type;
  const n = t(k);
  return n === k ? f.type : n;
}

export function isNumeric(f) {
  return f.type === 'integer' || f.type === 'number';
}

/* A column of dates or years: the line chart's x axis. */
export function isTime(f) {
  return f.type === 'date' || f.type === 'year' || /^(year|nam|năm|period|ky|kỳ|date|ngay|ngày)$/i.test(f.name);
}

/* A field's title as the schema gives it, else its name. */
export function fieldTitle(f) {
  return f.title || f.name;
}

/* "Tổng dân số (người)": a title inside a sentence starts in lower case in Vietnamese. */
export function sumOf(f) {
  const x = fieldTitle(f);
  return t('ds_chart_sum_of', { f: getLang() === 'vi' && f.title ? x.charAt(0).toLowerCase() + x.slice(1) : x });
}

/* The constraints of a field in words: "bắt buộc, duy nhất, ≥ 0, một trong: a, b". */
export function constraintsText(f) {
  const c = f.constraints || {};
  const out = [];
  if (c.required) out.push(t('ds_c_required'));
  if (c.unique) out.push(t('ds_c_unique'));
  if (c.minimum !== undefined) out.push(`≥ ${c.minimum}`);
  if (c.maximum !== undefined) out.push(`≤ ${c.maximum}`);
  if (c.minLength !== undefined) out.push(t('ds_c_minlen', { n: fmtNum(c.minLength) }));
  if (c.maxLength !== undefined) out.push(t('ds_c_maxlen', { n: fmtNum(c.maxLength) }));
  if (Array.isArray(c.enum)) out.push(t('ds_c_enum', { v: c.enum.join(', ') }));
  if (c.pattern) out.push(t('ds_c_pattern', { v: c.pattern }));
  return out.join('; ');
}

/* The operators a row filter offers: value = how many values it takes. */
export const OPS = [
  ['~', 1], ['=', 1], ['!=', 1], ['>', 1], ['>=', 1], ['<', 1], ['<=', 1], ['between', 2], ['is null', 0], ['is not null', 0],
];

export function opName(op) {
  return t('ds_op_' + op.replace(/ /g, '_').replace('!=', 'ne').replace('>=', 'ge').replace('<=', 'le')
    .replace('>', 'gt').replace('<', 'lt').replace('=', 'eq').replace('~', 'like'));
}

/* A value as the filter's text writes it: quoted with '…' (a quote inside doubled), so that
   spaces, commas and the word "and" stay in the value. */
export function quote(v) {
  return `'${String(v).replace(/'/g, "''")}'`;
}

/* Conditions [{field, op, a, b}] → "field ~ 'x' and n between '1' and '5'". A condition whose
   value is missing is left out. */
export function whereText(conds) {
  const parts = [];
  for (const c of conds) {
    if (!c.field || !c.op) continue;
    if (c.op === 'is null' || c.op === 'is not null') parts.push(`${c.field} ${c.op}`);
    else if (c.op === 'between') {
      if (c.a !== '' && c.b !== '') parts.push(`${c.field} between ${quote(c.a)} and ${quote(c.b)}`);
    } else if (c.a !== '') parts.push(`${c.field} ${c.op} ${quote(c.a)}`);
  }
  return parts.join(' and ');
}

/* The server's refusal as shown: its message (the contract's {"error": "…"} or the API's
   {"error": {"message"}}), with the status for the ones a user may act on. */
export function dsError(e) {
  if (!e) return '';
  if (e.status === 401) return t('ds_err_login');
  if (e.status === 403) return t('ds_err_forbidden', { m: e.message });
  if (e.status === 404) return t('ds_err_missing');
  if (e.status === 504) return t('ds_err_slow');
  const m = /field "([^"]+)": unknown type "([^"]+)"/.exec(e.message || '');
  if (m) return t('ds_err_type', { f: m[1], y: m[2], m: e.message });
  const vi = getLang() === 'vi' ? serverVi(e.message) : null;
  return vi ? t('ds_err_server', { v: vi, m: e.message }) : t('error', { m: e.message });
}

/* The sharing API's refusals (docs/api.md "Sharing datasets") in Vietnamese; null otherwise. */
const SERVER_VI = [
  [/^until: (\d{4}-\d{2}-\d{2}) is before today(?: \((\d{4}-\d{2}-\d{2})\))?/, (m) => `ngày “cho phép đến” ${fmtDate(m[1])} đã qua${m[2] ? ` (hôm nay là ${fmtDate(m[2])})` : ''}`],
  [/^until: not a day/, () => 'ngày “cho phép đến” không phải một ngày'],
  [/^reason: required/, () => 'cần ghi lý do'],
  [/^legal_basis: required/, () => 'cần ghi căn cứ pháp lý'],
  [/^purpose: required/, () => 'cần ghi mục đích sử dụng'],
  [/^dataset (\S+) is public/, () => 'bộ dữ liệu công khai, ai cũng đọc được, không cần yêu cầu'],
  [/^agency (\S+) owns dataset/, (m) => `cơ quan ${m[1]} là chủ quản của bộ dữ liệu, không cần yêu cầu`],
  [/^request (\d+) of (\S+) for dataset (\S+) is already (pending|granted)/, (m) => `cơ quan đã có yêu cầu số ${m[1]} ${m[4] === 'pending' ? 'đang chờ trả lời' : 'đã được đồng ý'}`],
  [/^request (\d+) is (\w+): only a (pending|granted) request/, (m) => `yêu cầu số ${m[1]} đã được quyết định trước đó`],
  [/^only an officer of the owner/, () => 'chỉ cán bộ của cơ quan chủ quản hoặc quản trị được quyết định'],
];

function serverVi(msg) {
  const x = String(msg || '');
  for (const [re, f] of SERVER_VI) {
    const m = re.exec(x);
    if (m) return f(m);
  }
  return null;
}

/* The owners' names, from the catalogue's facets (the server names each agency or unit once). */
let ownerCache = null;
export async function ownerNames() {
  if (ownerCache) return ownerCache;
  const names = new Map();
  try {
    const r = await get('/datasets');
    const o = (r.facets && r.facets.owner) || {};
    for (const [code, v] of Object.entries(o)) if (v && v.name) names.set(code, v.name);
    for (const d of r.datasets || []) if (d.owner_name) names.set(d.owner, d.owner_name);
  } catch (e) { /* codes only */ }
  ownerCache = names;
  return names;
}

export function ownerLabel(names, code, name) {
  if (!code) return t('none');
  const n = name || (names && names.get(code));
  return n && n !== code ? `${n} (${code})` : code;
}

/* The date of a dataset's last version: its own field if the API gives one, else the newest
   version's load time. */
export function lastLoaded(d) {
  if (d.loaded_at) return d.loaded_at;
  if (d.updated_at) return d.updated_at;
  if (d.modified) return d.modified;
  const vs = d.versions || [];
  if (vs.length) return vs.reduce((a, v) => (v.version > a.version ? v : a), vs[0]).loaded_at;
  return null;
}

/* An instant (ISO, UTC) as the day it was in Viet Nam, as the reader writes a day. */
export function vnDay(iso) {
  if (!iso) return t('none');
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return fmtDate(String(iso).slice(0, 10));
  return fmtDate(new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(d));
}

export function dsHref(id) {
  return '#/datasets/' + enc(id);
}

export function accessBadgeDs(level) {
  if (!level) return null;
  return h('span', { class: 'badge access-' + level }, t('access_' + level));
}

/* A bad cell as the load names it: the contract's {line, column, field, value, error}, or the
   library's line "FILE:LINE: column N "FIELD": why" (the CLI's words), read into the same. */
export function badCell(e) {
  if (e && typeof e === 'object') return e;
  const s = String(e || '');
  const m = /^(?:.*?):(\d+): (?:column (\d+) "([^"]*)": )?(.*)$/.exec(s);
  if (!m) return { error: s };
  const v = /: "((?:[^"\\]|\\.)*)"$/.exec(m[4]) || /^no unit (\S+) on /.exec(m[4]) || /: (\S+)$/.exec(m[4]);
  return { line: Number(m[1]), column: m[2] ? Number(m[2]) : null, field: m[3] || null, value: v ? v[1] : undefined, error: m[4] };
}

/* The library's reason for a bad cell (English, src/lib/catalog/schema.c and load.c) in
   Vietnamese; null when it is not one of them (the original is then shown alone). */
const WHY_VI = [
  [/^not an integer: "(.*)"$/, (m) => `không phải số nguyên: “${m[1]}”`],
  [/^not a number: "(.*)"$/, (m) => `không phải số (dấu thập phân là dấu chấm, không có dấu phân cách hàng nghìn): “${m[1]}”`],
  [/^not a boolean: "(.*)"$/, (m) => `không phải giá trị có/không (true/false, 1/0): “${m[1]}”`],
  [/^not a date \(yyyy-mm-dd or dd\/mm\/yyyy\): "(.*)"$/, (m) => `không phải ngày (dd/mm/yyyy hoặc yyyy-mm-dd): “${m[1]}”`],
  [/^not a geopoint \("lon, lat"\): "(.*)"$/, (m) => `không phải tọa độ (“kinh độ, vĩ độ”): “${m[1]}”`],
  [/^integer out of range/, () => 'số nguyên quá lớn'],
  [/^below the minimum (\S+): (.*)$/, (m) => `nhỏ hơn mức tối thiểu ${m[1]}: ${m[2]}`],
  [/^above the maximum (\S+): (.*)$/, (m) => `lớn hơn mức tối đa ${m[1]}: ${m[2]}`],
  [/^not one of the allowed values: "(.*)"$/, (m) => `không thuộc các giá trị cho phép: “${m[1]}”`],
  [/^shorter than (\d+) characters/, (m) => `ngắn hơn ${m[1]} ký tự`],
  [/^longer than (\d+) characters/, (m) => `dài hơn ${m[1]} ký tự`],
  [/^"(.*)" does not match the pattern (.*)$/, (m) => `“${m[1]}” không đúng mẫu ${m[2]}`],
  [/^required, but missing/, () => 'bắt buộc nhưng đang để trống'],
  [/^no unit (\S+) on (\d{4})-(\d{2})-(\d{2})$/, (m) => `không có đơn vị hành chính mã ${m[1]} vào ngày ${m[4]}/${m[3]}/${m[2]}`],
  [/^unique, but (.*) is in another row/, (m) => `phải không trùng, nhưng ${m[1]} đã có ở dòng khác`],
  [/^(\d+) cells, the header has (\d+)/, (m) => `dòng có ${m[1]} ô, dòng tiêu đề có ${m[2]}: dòng bị loại`],
  [/^the primary key of line (\d+) again/, (m) => `trùng khóa chính với dòng ${m[1]}: dòng bị loại`],
  [/^the same row as line (\d+)/, (m) => `giống hệt dòng ${m[1]}: dòng bị loại`],
];

export function whyVi(s) {
  const x = String(s || '');
  for (const [re, f] of WHY_VI) {
    const m = re.exec(x);
    if (m) return f(m);
  }
  return null;
}

/* Who did it: a user's name, or "the command line on the server" for the operator's loads. */
export function whoText(s) {
  if (!s) return t('none');
  const m = /^cli:(.*)$/.exec(s);
  return m ? t('ds_by_cli', { u: m[1] }) : s;
}
