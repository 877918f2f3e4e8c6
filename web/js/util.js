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

/* A size in bytes as people read it. */
export function fmtSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
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

/* A word without its tones, for matching what was typed without them: "Đất" → "dat". */
export function foldWord(w) {
  return w.normalize('NFD').replace(/\p{M}/gu, '').replace(/[đĐ]/g, 'd').toLowerCase();
}

/* The words a query searched for, folded (filters such as fonds:PL and excluded words left
   out; "quy*" kept as a prefix). */
export function queryWords(q) {
  const rest = String(q || '')
    .replace(/(^|\s)-("[^"]*"|\S+)/g, ' ')
    .replace(/(^|\s)[a-z]+:("[^"]*"|\S+)/gi, ' ');
  const out = [];
  for (const m of rest.matchAll(/([\p{L}\p{N}]+)(\*)?/gu)) out.push({ w: foldWord(m[1]), prefix: !!m[2] });
  return out;
}

/* Wraps every whole word of el's text that is one of `words` (queryWords) in <mark>; the text
   stays text nodes, nothing becomes markup. */
export function markWords(el, words) {
  if (!el || !words || !words.length) return 0;
  const hit = (w) => words.some((q) => (q.prefix ? w.startsWith(q.w) : w === q.w));
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const nodes = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
  let marked = 0;
  for (const n of nodes) {
    const s = n.nodeValue;
    const parts = [];
    let last = 0;
    for (const m of s.matchAll(/[\p{L}\p{N}]+/gu)) {
      if (!hit(foldWord(m[0]))) continue;
      if (m.index > last) parts.push(document.createTextNode(s.slice(last, m.index)));
      parts.push(h('mark', null, m[0]));
      last = m.index + m[0].length;
      marked++;
    }
    if (!parts.length) continue;
    if (last < s.length) parts.push(document.createTextNode(s.slice(last)));
    n.replaceWith(...parts);
  }
  return marked;
}

/* The last search whose results were shown (this tab only): its route, its words and the ids of
   its page of results, so that a document opened from them offers the way back and marks the
   words searched. */
export const lastSearch = {
  save(route, q, ids) {
    try {
      sessionStorage.setItem('halong.lastSearch', JSON.stringify({ route, q, ids }));
    } catch (e) { /* storage refused: no way back offered */ }
  },
  of(id) {
    try {
      const s = JSON.parse(sessionStorage.getItem('halong.lastSearch') || 'null');
      return s && Array.isArray(s.ids) && s.ids.includes(id) ? s : null;
    } catch (e) {
      return null;
    }
  },
};

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
