// DOM helpers: building elements without innerHTML, and turning the API's marked snippets into nodes.

/* h('a', {href: '#/x', class: 'c'}, 'text', child) — attributes starting with "on" are listeners;
   style is an object of properties, set through the CSSOM: a style attribute is inline style,
   which the Content-Security-Policy blocks. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'style') for (const [p, x] of Object.entries(v)) el.style.setProperty(p, String(x));
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

const ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&#x27;': "'" };

function unescapeText(s) {
  return s.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (m) => ENTITIES[m]);
}

/* The API's snippet is HTML-escaped text with <mark>…</mark> around matches. It is rebuilt as
   text nodes and <mark> elements, so nothing else in it can ever become markup. */
export function snippetNodes(snippet) {
  const out = [];
  const parts = String(snippet || '').split(/(<mark>|<\/mark>)/);
  let inMark = false;
  for (const p of parts) {
    if (p === '<mark>') inMark = true;
    else if (p === '</mark>') inMark = false;
    else if (p) out.push(inMark ? h('mark', null, unescapeText(p)) : document.createTextNode(unescapeText(p)));
  }
  return out;
}

/* The query string of a hash route: '#/search?q=a&fonds=PL' → {q: 'a', fonds: 'PL'}. */
export function parseQuery(qs) {
  const o = {};
  for (const [k, v] of new URLSearchParams(qs || '')) o[k] = v;
  return o;
}

export function buildQuery(o) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? '?' + s : '';
}

export function todayIso() {
  /* Asia/Ho_Chi_Minh: the archive's calendar day, whatever the browser's zone. */
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(new Date());
}

export function dayBefore(iso) {
  const d = new Date(iso + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}
