// The OCR status panel for archivists: queue counts, failures, pages to check, and starting a run.
import { t, fmtNum } from '../i18n.js';
import { h, clear } from '../util.js';
import { get, post, enc, session } from '../api.js';
import { table, dl } from './common.js';

const BELOW = 70;

/* Why a page is listed: the review rule's counts, a low confidence, a correction. */
function reasons(p) {
  const why = p.reasons || {};
  const parts = [];
  if (why.unknown_words) parts.push(t('ocr_rv_unknown', { n: fmtNum(why.unknown_words) }));
  if (why.low_conf_words) parts.push(t('ocr_rv_low', { n: fmtNum(why.low_conf_words) }));
  if (why.impossible_chars) parts.push(t('ocr_rv_chars', { n: fmtNum(why.impossible_chars) }));
  if (why.mean_conf_below && p.mean_conf != null) parts.push(t('ocr_rv_below', { c: fmtNum(Math.round(p.mean_conf)) }));
  if (p.text_source === 'corrected') parts.push(t('ocr_rv_corrected'));
  return h('ul', { class: 'reasons' }, parts.map((x) => h('li', { class: 'warn-text' }, x)));
}

export async function ocrView({ render }) {
  const st = await get('/ocr/status');
  const root = h('div', null, h('h1', null, t('ocr_title')), h('p', { class: 'lead' }, t('ocr_intro')));

  root.append(h('ul', { class: 'stat-cards' },
    [['ocr_pending_n', st.pending], ['ocr_done_n', st.done], ['ocr_failed_n', st.failed],
      ['ocr_docs_n', st.documents], ['ocr_text_layer_n', st.text_layer]].map(([k, v]) =>
      h('li', { class: 'stat' + (k === 'ocr_failed_n' && v > 0 ? ' bad' : '') },
        h('span', { class: 'stat-n' }, fmtNum(v)), h('span', { class: 'stat-l' }, t(k))))));

  root.append(dl([
    [t('ocr_mean_conf'), st.mean_conf != null ? `${fmtNum(Math.round(st.mean_conf * 10) / 10)}%` : null],
    [t('ocr_running'), st.running ? t('ocr_running') : t('ocr_idle')],
    [t('ocr_last_run'), st.last_run ? st.last_run.replace('T', ' ').replace(/Z$/, ' UTC') : null],
    [t('ocr_rate'), st.pages_per_min ? t('ocr_rate_v', { r: fmtNum(Math.round(st.pages_per_min * 10) / 10) }) : null],
  ]));

  const role = session.user && session.user.role;
  if ((role === 'archivist' || role === 'admin') && st.pending > 0) {
    const out = h('p', { 'aria-live': 'polite', id: 'ocr-job' });
    root.append(h('p', null, h('button', { type: 'button', id: 'ocr-run', onclick: async (e) => {
      e.target.disabled = true;
      try {
        let { job } = await post('/ocr/run', {});
        while (job && job.state === 'running') {
          out.textContent = t('ocr_job', { id: job.id, state: t('job_' + job.state), done: job.done, total: job.total });
          await new Promise((res) => setTimeout(res, 1000));
          job = await get('/jobs/' + enc(job.id));
        }
        render({ keepFocus: true });
      } catch (err) {
        out.textContent = t('error', { m: err.message });
        e.target.disabled = false;
      }
    } }, t('ocr_run'))), out);
  }

  if (st.failures && st.failures.length) {
    root.append(h('section', null, h('h2', null, t('ocr_failures')),
      table([
        [t('col_doc'), (f) => h('a', { href: `#/doc/${enc(f.doc_id)}?p=${f.seq || 1}` }, f.doc_id)],
        [t('col_page'), (f) => f.seq],
        [t('col_file'), (f) => f.file || ''],
        [t('col_error'), (f) => f.error || ''],
      ], st.failures)));
  }

  const review = h('section', { id: 'ocr-review' }, h('h2', null, t('ocr_review')),
    h('p', { class: 'note' }, t('ocr_rv_intro', { c: BELOW })));
  root.append(review);
  try {
    const r = await get(`/ocr/review?below=${BELOW}&limit=50`);
    const items = Array.isArray(r) ? r : r.items || [];
    review.append(items.length
      ? table([
        [t('col_doc'), (p) => h('a', { href: `#/doc/${enc(p.doc_id)}?p=${p.seq}` }, p.doc_id)],
        [t('col_page'), (p) => h('a', { href: `#/doc/${enc(p.doc_id)}?p=${p.seq}` }, String(p.seq))],
        [t('col_file'), (p) => `${p.file || ''}${p.page_no ? ' · ' + p.page_no : ''}`],
        [t('ocr_rv_reasons'), reasons],
        [t('ocr_rv_words'), (p) => h('span', { class: 'suspect-words', lang: 'vi' }, (p.suspect_words || []).join(', '))],
        [t('ocr_text'), (p) => h('span', { class: 'excerpt' }, (p.text || '').slice(0, 120))],
      ], items)
      : h('p', null, t('ocr_review_none')));
    if (r.unchecked) review.append(h('p', { class: 'muted' }, t('ocr_rv_unchecked', { n: fmtNum(r.unchecked) })));
  } catch (e) {
    review.append(h('p', { class: 'muted' },
      e.status === 401 ? t('ocr_review_login') : e.status === 403 ? t('ocr_review_forbidden') : t('error', { m: e.message })));
  }
  return root;
}
