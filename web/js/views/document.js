// The document page: metadata, the page viewer (image, zoom, previous/next) beside the page's OCR
// text with low-confidence pages marked, the files with download links and the searchable PDF.
import { t, fmtDate, fmtNum, fmtTime, getLang } from '../i18n.js';
import { h, lastSearch, queryWords, markWords, todayIso, fmtSize } from '../util.js';
import { get, enc } from '../api.js';
import { accessBadge, dl, table, docType, languageName } from './common.js';
import { sendPanel, maySend } from './send.js';
import { textStatus, editControls } from './ocr_edit.js';

const ZOOMS = [50, 75, 100, 125, 150, 200, 300];
/* The zoom survives a re-render (page turn, language switch) of the same document. */
const viewerState = { id: null, zoom: 100 };

function retention(v) {
  if (!v) return null;
  if (v === 'permanent') return t('ret_permanent');
  return /^\d+$/.test(v) ? t('ret_years', { n: v }) : v;
}

function pageWarnings(p) {
  return (p.warnings || []).map((w) => (w === 'low_dpi' ? t('warn_low_dpi') : w));
}

function dossierHref(d) {
  return `#/fonds/${enc(d.fonds_code)}/dossiers/${enc(d.dossier_code)}`;
}

export async function documentView({ args, query, go }) {
  const id = args[0];
  const d = await get('/documents/' + enc(id));
  const pages = d.pages || [];
  let seq = parseInt(query.p || '1', 10) || 1;
  if (seq < 1 || seq > pages.length) seq = 1;
  if (viewerState.id !== id) {
    viewerState.id = id;
    viewerState.zoom = 100;
  }

  const root = h('article', { class: 'document' });
  /* opened from a page of search results: the way back, and the words searched marked */
  const from = lastSearch.of(d.doc_id);
  /* append() writes a null as the text "null": only what there is */
  if (from) root.append(h('p', { class: 'back-to-results' }, h('a', { href: from.route, id: 'back-to-results' }, '← ', t('back_to_results'))));
  root.append(
    h('p', { class: 'crumbs' },
      h('a', { href: '#/fonds/' + enc(d.fonds_code) }, d.fonds_code), ' / ',
      h('a', { href: dossierHref(d) }, d.dossier_code), ' / ',
      `${t('f_doc_ordinal')} ${d.doc_ordinal}`),
    h('h1', null, d.subject || d.doc_id, ' ', accessBadge(d.access_level)),
  );

  const meta = dl([
    [t('f_doc_type'), docType(d.doc_type)],
    [t('f_doc_number'), d.doc_number && d.doc_notation ? `${d.doc_number}/${d.doc_notation}` : d.doc_number],
    [t('f_issued_date'), d.issued_date ? fmtDate(d.issued_date) : null],
    [t('f_issuer'), d.issuer],
    [t('f_fonds_code'), h('a', { href: '#/fonds/' + enc(d.fonds_code) }, d.fonds_code)],
    [t('f_dossier_code'), h('a', { href: dossierHref(d) }, d.dossier_code)],
    [t('f_doc_ordinal'), d.doc_ordinal],
    [t('f_page_count'), d.page_count],
    [t('f_language'), languageName(d.language)],
    [t('f_keywords'), d.keywords],
    [t('f_access_level'), d.access_level ? t('access_' + d.access_level) : null],
    [t('f_confidence'), d.confidence ? t('conf_' + d.confidence) : null],
    [t('f_retention'), retention(d.retention)],
    [t('f_physical_state'), d.physical_state],
    [t('f_notes'), d.notes],
    [t('f_version'), d.version],
    [t('f_doc_id'), h('code', null, d.doc_id)],
  ]);
  /* The key facts on one line, the viewer next, the full catalogue entry after it: the page
     image then sits within a 1280 x 800 screen. */
  root.append(h('p', { class: 'doc-summary' },
    [docType(d.doc_type), d.doc_number && d.doc_notation ? `${d.doc_number}/${d.doc_notation}` : d.doc_number,
      d.issuer, d.issued_date ? fmtDate(d.issued_date) : null].filter(Boolean).join(' · ')));

  /* Staff who may send (the server checks the unit holds the fonds and the access level). */
  if (maySend()) root.append(sendPanel({ documents: [d.doc_id] }, d.access_level));

  if (pages.length) root.append(viewer(d, pages, seq, go));
  else root.append(h('p', { class: 'note' }, t('no_pages')));

  root.append(h('section', { class: 'doc-meta', 'aria-labelledby': 'meta-h' }, h('h2', { id: 'meta-h' }, t('meta_label')), meta));

  if (d.text) {
    root.append(h('section', { class: 'doc-text' }, h('h2', null, t('doc_text')),
      h('div', { class: 'text-body', lang: d.language || 'vi' }, d.text)));
  }

  root.append(citation(d));

  const files = d.files || [];
  const allDone = pages.length > 0 && pages.every((p) => p.state === 'done');
  root.append(h('section', { class: 'doc-files' },
    h('h2', null, t('files')),
    files.length
      ? h('ul', { class: 'files' }, files.map((f) => h('li', null,
        h('a', { href: f.url || `/api/v1/documents/${enc(d.doc_id)}/files/${f.seq}`, download: f.name },
          `${t('file_download')}: ${f.name}`),
        ` (${fmtSize(f.size)}) `, h('span', { class: 'sha' }, 'SHA-256 ', h('code', null, f.sha256)))))
      : h('p', null, t('no_files')),
    pages.length
      ? (allDone
        ? h('p', null, h('a', { class: 'pdf-link', id: 'pdf-link', href: `/api/v1/documents/${enc(d.doc_id)}/pdf` }, t('pdf_link')))
        : h('p', { class: 'note' }, t('pdf_not_ready')))
      : null));

  if (d.versions && d.versions.length) {
    root.append(h('section', null, h('h2', null, t('versions')),
      table([[t('f_version'), (v) => v.version], [t('f_updated_at'), (v) => fmtTime(v.updated_at || v.created_at)],
        [t('f_subject'), (v) => v.subject || '']], d.versions)));
  }
  if (from) {
    const words = queryWords(from.q);
    for (const el of root.querySelectorAll('.text-body, .ocr-text')) markWords(el, words);
  }
  return root;
}

/* "Trích dẫn": the library's Vietnamese archival line (GET …/cite), where and when it was read,
   and the BibTeX and CSL-JSON files for reference managers. */
function citation(d) {
  const base = `/api/v1/documents/${enc(d.doc_id)}/cite`;
  const line = h('p', { class: 'cite-line', id: 'cite-line' }, t('loading'));
  get(`/documents/${enc(d.doc_id)}/cite`).then((s) => {
    const where = `${location.origin}/#/doc/${encodeURIComponent(d.doc_id)}`;
    line.textContent = `${String(s).trim()} ${t('cite_accessed', { url: where, d: fmtDate(todayIso()) })}`;
  }).catch((e) => { line.textContent = t('error', { m: e.message }); });
  return h('section', { class: 'doc-cite', 'aria-labelledby': 'cite-h' },
    h('h2', { id: 'cite-h' }, t('cite_title')), line,
    h('p', { class: 'cite-files' },
      h('a', { href: base + '?format=bibtex', download: `${d.doc_id}.bib` }, 'BibTeX'), ' · ',
      h('a', { href: base + '?format=csl-json', download: `${d.doc_id}.json` }, 'CSL-JSON'),
      ' ', h('span', { class: 'muted' }, t('cite_files_hint'))));
}

function viewer(d, pages, seq, go) {
  const box = h('section', { class: 'viewer', 'aria-label': t('viewer_label') });
  const p = pages[seq - 1];
  const total = pages.length;
  const goPage = (n) => go(`#/doc/${enc(d.doc_id)}?p=${n}`);
  const alt = t('page_image_alt', { n: seq, id: d.doc_id });

  const imageUrl = p.image_url || `/api/v1/documents/${enc(d.doc_id)}/pages/${p.seq}/image`;
  const img = h('img', { class: 'page-image', id: 'page-image', src: imageUrl + '?width=1600', alt });
  const zoomLabel = h('span', { class: 'zoom-level', id: 'zoom-level', 'aria-live': 'polite' });
  const frame = h('div', { class: 'page-frame', tabindex: '0', role: 'region', 'aria-label': alt }, img);
  const applyZoom = () => {
    img.style.width = viewerState.zoom + '%';
    zoomLabel.textContent = t('zoom_level', { p: viewerState.zoom });
  };
  const step = (dir) => {
    const i = ZOOMS.indexOf(viewerState.zoom);
    const j = Math.min(ZOOMS.length - 1, Math.max(0, (i < 0 ? 2 : i) + dir));
    viewerState.zoom = ZOOMS[j];
    applyZoom();
  };
  applyZoom();

  const pageList = h('ol', { class: 'page-list', 'aria-label': t('pages_list') }, pages.map((pg, i) =>
    h('li', null, h('a', {
      href: `#/doc/${enc(d.doc_id)}?p=${i + 1}`,
      class: [i + 1 === seq ? 'current' : '', pg.low_confidence ? 'low' : ''].join(' ').trim() || null,
      'aria-current': i + 1 === seq ? 'page' : null,
      title: pg.low_confidence ? t('ocr_low_short') : null,
    }, String(i + 1), pg.low_confidence
      ? h('span', { class: 'low-mark' }, ' ⚠', h('span', { class: 'visually-hidden' }, ' ' + t('ocr_low_short')))
      : null))));

  const controls = h('div', { class: 'viewer-controls' },
    h('button', { type: 'button', id: 'page-prev', disabled: seq <= 1, onclick: () => goPage(seq - 1) }, t('page_prev_btn')),
    h('span', { class: 'page-of', id: 'page-of' }, t('page_of', { n: seq, total })),
    h('button', { type: 'button', id: 'page-next', disabled: seq >= total, onclick: () => goPage(seq + 1) }, t('page_next_btn')),
    h('span', { class: 'sep' }),
    h('button', { type: 'button', id: 'zoom-out', 'aria-label': t('zoom_out'), title: t('zoom_out'), onclick: () => step(-1) }, '−'),
    zoomLabel,
    h('button', { type: 'button', id: 'zoom-in', 'aria-label': t('zoom_in'), title: t('zoom_in'), onclick: () => step(1) }, '+'),
    h('button', { type: 'button', id: 'zoom-fit', onclick: () => { viewerState.zoom = 100; applyZoom(); } }, t('zoom_fit')),
    /* the scan at its own size in a tab of its own: a phone zooms it with two fingers */
    h('a', { class: 'page-full', id: 'page-full', href: imageUrl, target: '_blank', rel: 'noopener' }, t('page_full')));

  /* Arrow keys turn pages, + and - zoom, when focus is inside the viewer. */
  box.addEventListener('keydown', (e) => {
    if (e.target.tagName === 'INPUT' || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === 'ArrowRight' && seq < total) goPage(seq + 1);
    else if (e.key === 'ArrowLeft' && seq > 1) goPage(seq - 1);
    else if (e.key === '+' || e.key === '=') step(1);
    else if (e.key === '-') step(-1);
    else return;
    e.preventDefault();
  });

  const conf = p.mean_conf != null ? t('ocr_conf', { c: fmtNum(Math.round(p.mean_conf)) }) : null;
  const facts = [
    p.file ? `${p.file}${p.page_no ? (getLang() === 'vi' ? ', tr. ' : ', p. ') + p.page_no : ''}` : null,
    p.dpi ? t('page_dpi', { d: p.dpi }) : null,
    p.from_text_layer ? t('ocr_text_layer') : (p.low_confidence ? null : conf),
    ...pageWarnings(p),
  ].filter(Boolean).join(' · ');

  const ocrText = p.state === 'done'
    ? h('div', { class: 'ocr-text', id: 'ocr-text', lang: 'vi', tabindex: '0' }, p.text || t('ocr_no_text'))
    : h('p', { class: 'note' }, p.state === 'failed' ? t('ocr_failed', { e: p.error || '' }) : t('ocr_pending'));
  const textPane = h('div', { class: 'ocr-pane' + (p.low_confidence ? ' low' : ''), id: 'ocr-pane' },
    h('h2', null, t('ocr_text'), ' — ', t('page_of', { n: seq, total })),
    p.low_confidence
      ? h('p', { class: 'low-banner', id: 'low-banner', role: 'note' }, '⚠ ', t('ocr_low'), conf ? ` (${conf})` : '')
      : null,
    h('p', { class: 'page-facts' }, facts),
    textStatus(p),
    /* the text's editor and approval (ocr_edit.js), for those the server says may: above the
       text, so that Save stays in sight */
    editControls(d, p, ocrText, () => go(`#/doc/${enc(d.doc_id)}?p=${seq}`)),
    ocrText);

  box.append(
    h('h2', { class: 'visually-hidden' }, t('viewer_label')),
    controls,
    pageList,
    h('div', { class: 'viewer-body' },
      h('div', { class: 'image-pane' + (p.low_confidence ? ' low' : '') }, frame),
      textPane));
  return box;
}
