// The operations page ("Vận hành", #/ops), for admins: the readiness checks with their reasons
// (GET /readyz, which gives reasons to an admin), the backups (targets, newest, its age, the
// warnings: none configured, only one target, a target that cannot be read, too old), the search
// index's lag, the queues (OCR, jobs, exchange) and the store's size (GET /api/v1/ops).
import { t, tn, fmtTime, fmtAge, fmtNum, getLang } from '../i18n.js';
import { h, clear } from '../util.js';
import { get, session } from '../api.js';
import { table, dl } from './common.js';

/* Bytes in the largest unit that keeps a number of at least 1, with the language's decimal mark. */
function fmtBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Number(n) || 0;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const s = v.toLocaleString(getLang() === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: i ? 1 : 0 });
  return `${s} ${units[i]}`;
}

function checkName(name) {
  const k = 'ops_check_' + name;
  return t(k) === k ? name : t(k);
}

function stateBadge(c) {
  if (c.skipped) return h('span', { class: 'badge ops-skip' }, t('ops_state_skip'));
  return c.ok ? h('span', { class: 'badge ops-ok' }, t('ops_state_ok')) : h('span', { class: 'badge ops-fail' }, t('ops_state_fail'));
}

/* /readyz answers 503 with the same body when a check fails: read either. */
async function readiness() {
  const r = await fetch('/readyz', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  const j = await r.json();
  if (!j || !Array.isArray(j.checks)) throw new Error(`/readyz: ${r.status}`);
  return j;
}

function readySection(rd) {
  const failing = rd.checks.filter((c) => !c.ok).length;
  const head = rd.ready
    ? h('p', { id: 'ops-ready', class: 'ops-ok-text' }, t('ops_ready_yes'))
    : h('p', { id: 'ops-ready', class: 'warn-text' }, rd.checks.length ? t('ops_ready_no', { n: failing }) : t('ops_ready_error', { m: rd.error || '' }));
  return [head, table([
    [t('ops_col_check'), (c) => h('span', null, h('strong', null, checkName(c.name)), h('span', { class: 'muted' }, ' (', c.name, ')'))],
    [t('ops_col_state'), stateBadge],
    [t('ops_col_reason'), (c) => h('span', { class: 'ops-reason' }, c.reason || '')],
  ], rd.checks, null, 'ops-table')];
}

function ageText(sec) {
  return sec === null || sec === undefined ? t('none') : t('ops_ago', { d: fmtAge(sec * 1000) });
}

function backupSection(b) {
  const out = [];
  const warn = (id, msg) => out.push(h('p', { class: 'warn-text ops-warn', id }, msg));
  if (!b.configured) {
    warn('ops-bk-none', t('ops_bk_not_configured'));
    return out;
  }
  if (b.targets.length < 2) warn('ops-bk-one', t('ops_bk_one_target'));
  for (const x of b.targets) if (!x.readable) warn('ops-bk-unreadable', t('ops_bk_unreadable', { p: x.path }));
  if (b.age_seconds === null) warn('ops-bk-never', t('ops_bk_never'));
  else if (b.age_seconds > b.max_age_hours * 3600) warn('ops-bk-old', t('ops_bk_too_old', { h: b.max_age_hours }));
  out.push(dl([
    [t('ops_bk_newest'), b.newest_at ? h('span', null, fmtTime(b.newest_at), h('span', { class: 'muted' }, ' — ', ageText(b.age_seconds))) : t('none')],
    [t('ops_bk_max_age'), t('ops_hours', { n: fmtNum(b.max_age_hours) })],
  ]));
  out.push(table([
    [t('ops_col_target'), (x) => h('code', null, x.path)],
    [t('ops_col_readable'), (x) => (x.readable ? t('ops_yes') : h('span', { class: 'warn-text' }, t('ops_no')))],
    [t('ops_col_backups'), (x) => fmtNum(x.backups)],
    [t('ops_col_newest'), (x) => (x.newest_at ? h('span', null, fmtTime(x.newest_at), h('br'), h('span', { class: 'muted' }, ageText(x.age_seconds))) : t('none'))],
  ], b.targets, null, 'ops-table'));
  return out;
}

function indexSection(f) {
  const ix = f.index;
  return [
    ix.open ? null : h('p', { class: 'warn-text' }, t('ops_ix_closed')),
    dl([
      [t('ops_ix_lag'), h('span', { id: 'ops-ix-lag', class: ix.lag > 0 ? 'warn-text' : null }, tn('ops_changes', ix.lag))],
      [t('ops_ix_docs'), fmtNum(ix.documents)],
      [t('ops_ix_seq'), `${fmtNum(ix.applied_seq)} / ${fmtNum(ix.queue_seq)}`],
    ]),
  ];
}

function queueSection(f) {
  const o = f.ocr;
  const waiting = f.peers.reduce((s, p) => s + p.waiting, 0);
  const lag = f.peers.reduce((m, p) => Math.max(m, p.lag_seconds), 0);
  const out = [dl([
    [t('ops_q_ocr_pending'), h('span', { id: 'ops-ocr-pending' }, tn('ops_pages', o.pending))],
    [t('ops_q_ocr_done'), tn('ops_pages', o.done)],
    [t('ops_q_ocr_failed'), h('span', { class: o.failed > 0 ? 'warn-text' : null }, tn('ops_pages', o.failed))],
    [t('ops_q_ocr_pace'), o.seconds_total > 0 ? t('ops_pace', { n: fmtNum(Math.round((o.done_total / o.seconds_total) * 60)) }) : t('none')],
    [t('ops_q_jobs'), [f.jobs.ingest ? t('ops_job_ingest') : null, f.jobs.ocr ? t('ops_job_ocr') : null].filter(Boolean).join(', ') || t('ops_jobs_none')],
    [t('ops_q_exchange'), f.peers.length ? t('ops_x_waiting', { n: fmtNum(waiting), d: fmtAge(lag * 1000) }) : t('ops_x_no_peers')],
  ])];
  const busy = f.peers.filter((p) => p.waiting > 0 || p.held > 0);
  if (busy.length) {
    out.push(table([
      [t('ops_col_peer'), (p) => h('a', { href: '#/units/' + encodeURIComponent(p.peer) }, p.peer)],
      [t('ops_col_waiting'), (p) => fmtNum(p.waiting)],
      [t('ops_col_lag'), (p) => fmtAge(p.lag_seconds * 1000)],
      [t('ops_col_held'), (p) => fmtNum(p.held)],
    ], busy, null, 'ops-table'));
  }
  return out;
}

function storeSection(f) {
  const s = f.store;
  return [dl([
    [t('ops_st_db'), h('span', { id: 'ops-store-bytes' }, fmtBytes(s.store_bytes))],
    [t('ops_st_blobs'), t('ops_files', { n: fmtNum(s.blobs), b: fmtBytes(s.blob_bytes) })],
    [t('ops_st_docs'), fmtNum(s.documents)],
    [t('ops_st_schema'), String(s.schema_version)],
  ])];
}

function section(id, title) {
  return h('section', { id, 'aria-labelledby': id + '-h', class: 'ops-section' }, h('h2', { id: id + '-h' }, title));
}

export async function opsView() {
  const root = h('div', { class: 'ops' }, h('h1', null, t('ops_title')), h('p', { class: 'lead' }, t('ops_intro')));
  if (!session.user) {
    root.append(h('p', { id: 'ops-login' }, t('ops_login'), ' ',
      h('a', { href: '#/login?next=' + encodeURIComponent('#/ops') }, t('login'))));
    return root;
  }
  if (session.user.role !== 'admin') {
    root.append(h('p', { id: 'ops-forbidden', class: 'muted' }, t('ops_forbidden')));
    return root;
  }
  const stamp = h('span', { id: 'ops-updated' });
  const again = h('button', { type: 'button', id: 'ops-refresh' }, t('ops_refresh'));
  const ready = section('ops-readiness', t('ops_ready_h'));
  const backups = section('ops-backups', t('ops_bk_h'));
  const index = section('ops-index', t('ops_ix_h'));
  const queues = section('ops-queues', t('ops_q_h'));
  const store = section('ops-store', t('ops_st_h'));
  root.append(h('p', { class: 'muted' }, stamp, ' ', again), ready, backups, index, queues, store);

  async function load() {
    const [rd, fg] = await Promise.allSettled([readiness(), get('/ops')]);
    const keep = (el) => clear(el).appendChild(h('h2', { id: el.id + '-h' }, el.getAttribute('data-title')));
    for (const [el, title] of [[ready, t('ops_ready_h')], [backups, t('ops_bk_h')], [index, t('ops_ix_h')], [queues, t('ops_q_h')], [store, t('ops_st_h')]]) {
      el.setAttribute('data-title', title);
      keep(el);
    }
    if (rd.status === 'fulfilled') ready.append(...readySection(rd.value));
    else ready.append(h('p', { class: 'error' }, t('error', { m: rd.reason.message })));
    if (fg.status === 'fulfilled') {
      const f = fg.value;
      backups.append(...backupSection(f.backups));
      index.append(...indexSection(f).filter(Boolean));
      queues.append(...queueSection(f));
      store.append(...storeSection(f));
      stamp.textContent = t('ops_updated', { at: fmtTime(f.generated_at) });
    } else {
      const e = fg.reason;
      const msg = e.status === 403 ? t('ops_forbidden') : t('error', { m: e.message }) + (e.requestId ? ` (${e.requestId})` : '');
      for (const el of [backups, index, queues, store]) el.append(h('p', { class: 'error' }, msg));
    }
  }
  again.addEventListener('click', () => load());
  await load();
  return root;
}
