// What the plans pages share: the names of agencies, statuses and periods in the reader's
// language, the traffic-light rule, who may do what (as the page offers it: the server decides),
// and the refusals of the plans API turned into a sentence beside the field they name.
import { t, fmtNum, getLang } from '../i18n.js';
import { h } from '../util.js';
import { session } from '../api.js';

/* ---- agencies ---- */

/* code → name, from what the pages read: the evaluation's agencies (the register's names) and
   the tasks' agencies (as the plan writes them; a commune is named as the plan names it). A name
   that is only the code again is not a name. */
export function agencyNames(...sources) {
  const names = new Map();
  const put = (code, name) => {
    if (!code || !name || name === code) return;
    if (!names.has(code)) names.set(code, name);
  };
  for (const s of sources) {
    if (!s) continue;
    for (const a of s.agencies || []) put(a.code, a.name);
    for (const task of s.task_list || (s.lead ? [s] : [])) {
      for (const a of (task.lead || []).concat(task.support || [])) put(a.code, a.name);
    }
  }
  return names;
}

/* "Phường Hà Tu (06652)"; a name kept as written (no code) as it is. */
export function agencyLabel(names, code, fallback) {
  if (!code) return fallback || t('none');
  const n = names && names.get(code);
  return n ? `${n} (${code})` : code;
}

/* ---- statuses ---- */

export const STATUSES = ['done_on_time', 'done_late', 'on_time', 'not_started', 'waiting', 'overdue', 'cancelled'];

export function statusBadge(status) {
  return h('span', { class: 'badge status status-' + status }, t('st_' + status));
}

export function progressBar(p) {
  const v = Math.max(0, Math.min(100, Number(p) || 0));
  return h('span', { class: 'progress', title: `${fmtNum(v)}%` },
    h('span', { class: 'progress-bar', 'aria-hidden': 'true' }, h('span', { class: 'progress-fill', style: { width: `${v}%` } })),
    h('span', { class: 'progress-n' }, `${fmtNum(v)}%`));
}

export function verdictBadge(v) {
  if (!v) return null;
  return h('span', { class: 'badge verdict verdict-' + v }, t('verdict_' + v));
}

/* ---- periods ---- */

const ROMAN = ['I', 'II', 'III', 'IV'];

/* A period's canonical label (2026-09, 2026-Q3, 2026-H1, 2026) as the reader says it:
   "Tháng 9/2026", "Quý III/2026" / "September 2026", "Q3 2026". */
export function periodLabel(p) {
  if (!p) return t('period_all');
  let m;
  if ((m = /^(\d{4})-(\d{2})$/.exec(p))) {
    return getLang() === 'vi' ? `Tháng ${Number(m[2])}/${m[1]}`
      : new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${p}-01T00:00:00Z`));
  }
  if ((m = /^(\d{4})-Q([1-4])$/.exec(p))) return getLang() === 'vi' ? `Quý ${ROMAN[m[2] - 1]}/${m[1]}` : `Q${m[2]} ${m[1]}`;
  if ((m = /^(\d{4})-H([12])$/.exec(p))) return t(m[2] === '1' ? 'period_h1' : 'period_h2', { y: m[1] });
  if (/^\d{4}$/.test(p)) return t('period_year', { y: p });
  return p;
}

/* The short labels of a chart's x axis. */
export function monthShort(m) {
  return getLang() === 'vi' ? `T${m}` : new Intl.DateTimeFormat('en-GB', { month: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(2000, m - 1, 1)));
}
export function quarterShort(q) {
  return getLang() === 'vi' ? `Quý ${ROMAN[q - 1]}` : `Q${q}`;
}

export function yearsOf(plan) {
  const a = Number((plan.period_from || '').slice(0, 4));
  const b = Number((plan.period_to || '').slice(0, 4));
  const out = [];
  if (a && b) for (let y = a; y <= b && out.length < 50; y++) out.push(y);
  return out;
}

/* The year the charts show: the period's, else the day's, kept inside the plan's years. */
export function chartYear(plan, period, at) {
  const years = yearsOf(plan);
  let y = Number((period || at || '').slice(0, 4));
  if (!years.length) return y;
  if (!y || y < years[0]) y = years[0];
  if (y > years[years.length - 1]) y = years[years.length - 1];
  return y;
}

/* The periods a report may be for: the months and quarters of the plan begun by `today`, newest
   first (at most the last two years). */
export function reportPeriods(plan, today) {
  const out = [];
  const from = plan.period_from || '';
  const to = plan.period_to || '';
  const last = (today < to ? today : to).slice(0, 7);
  let [y, m] = last.split('-').map(Number);
  for (let i = 0; i < 24 && y; i++) {
    const p = `${y}-${String(m).padStart(2, '0')}`;
    if (`${p}-31` < from) break;
    out.push(p);
    if (m % 3 === 0 || i === 0) {
      const q = `${y}-Q${Math.ceil(m / 3)}`;
      if (!out.includes(q)) out.push(q);
    }
    m -= 1;
    if (!m) {
      m = 12;
      y -= 1;
    }
  }
  return out;
}

/* ---- the traffic light of an agency (documented in web/README.md and on the page) ----
   red: a task overdue; amber: none overdue, but one waiting for guidance or due within the
   "due soon" days and not done; green: every task done or on schedule. */
export function light(a, soonCodes) {
  if (a.overdue > 0) return 'red';
  if (a.waiting > 0 || (soonCodes && soonCodes.has(a.code))) return 'amber';
  return 'green';
}

export function lightReason(a, soon) {
  const parts = [];
  if (a.overdue) parts.push(t('light_r_overdue', { n: fmtNum(a.overdue) }));
  if (a.waiting) parts.push(t('light_r_waiting', { n: fmtNum(a.waiting) }));
  if (soon) parts.push(t('light_r_soon', { n: fmtNum(soon) }));
  if (!parts.length) parts.push(a.total ? t('light_r_ok', { d: fmtNum(a.done_on_time + a.done_late), n: fmtNum(a.total) }) : t('light_r_none'));
  return parts.join('; ');
}

/* ---- who (the page offers; the server decides) ---- */

export function role() {
  return session.user ? session.user.role : null;
}
export function mayReport(myAgency, task) {
  const r = role();
  if (r === 'admin') return true;
  if (r !== 'officer' && r !== 'archivist') return false;
  return !!myAgency && (task.lead || []).some((a) => a.code === myAgency);
}
export function mayVerify(myAgency, plan) {
  const r = role();
  return r === 'admin' || (!!r && r !== 'viewer' && !!myAgency && myAgency === plan.compiler);
}
export function mayInspect() {
  return role() === 'inspector' || role() === 'admin';
}
export function mayAddLesson() {
  return ['officer', 'inspector', 'archivist', 'admin'].includes(role());
}

/* Who made a report or a verdict: a user's name; "cli:NAME" was typed on the server itself. */
export function byLabel(by) {
  if (!by) return t('none');
  const m = /^cli:(.*)$/.exec(by);
  return m ? t('by_cli', { u: m[1] }) : by;
}

/* ---- refusals ---- */

/* The field a refusal of the plans API names: "progress: 140% is not 0–100%" → progress. */
export function errorField(e) {
  const m = /^([a-z_]+)(?: \d+)?: /.exec((e && e.message) || '');
  return m ? m[1] : null;
}

/* A refusal as a sentence in the reader's language; the server's words are shown beside it. */
export function planError(e) {
  const m = (e && e.message) || '';
  if (e.status === 401) return t('pl_err_login');
  if (e.status === 403) {
    if (/own agency/.test(m)) return t('pl_err_not_mine');
    if (/does not lead/.test(m)) return t('pl_err_not_lead');
    if (/compiler/.test(m)) return t('pl_err_not_compiler');
    if (/inspector/.test(m)) return t('pl_err_not_inspector');
    return t('pl_err_denied');
  }
  if (e.status === 404) return t('not_found');
  if (e.status === 409) return /corrected already/.test(m) ? t('pl_err_corrected') : t('pl_err_conflict');
  if (/^progress: \d+% is not/.test(m) || /^progress: a whole/.test(m) || /^progress: -/.test(m)) return t('pl_err_progress');
  if (/^progress: a task done/.test(m)) return t('pl_err_done_100');
  if (/^state: progress/.test(m)) return t('pl_err_state_100');
  if (/^period: .* has not begun/.test(m)) return t('pl_err_period_future');
  if (/^period: .* is outside/.test(m)) return t('pl_err_period_outside');
  if (/^period/.test(m)) return t('pl_err_period');
  if (/^done_on: only/.test(m)) return t('pl_err_done_on_only');
  if (/^done_on/.test(m)) return t('pl_err_done_on');
  if (/^evidence/.test(m)) return t('pl_err_evidence');
  if (/^agency/.test(m) || /unknown agency/.test(m)) return t('pl_err_agency');
  if (/^corrects/.test(m)) return t('pl_err_corrects');
  if (/^comment|comment/.test(m)) return t('pl_err_comment');
  if (/linked to a task, an agency/.test(m)) return t('pl_err_lesson_link');
  if (/^date: .* is after today/.test(m)) return t('pl_err_date_future');
  if (/^(date|due)/.test(m) || /not a yyyy-mm-dd|is not a day/.test(m)) return t('pl_err_date');
  if (/^rating/.test(m)) return t('pl_err_rating');
  if (/^(team|scope|title|body): /.test(m) || /is required|missing/.test(m)) return t('pl_err_required');
  if (/at most \d+/.test(m)) return t('pl_err_long');
  return t('pl_err_other');
}

/* A form's message box and per-field error lines: show(e) puts the gist beside the buttons and
   under the field the refusal names (marked invalid and focused), with the server's words. */
export function formErrors(formId, controls) {
  const lines = {};
  const msg = h('div', { class: 'form-msg', id: formId + '-msg', role: 'alert' });
  const line = (key) => {
    lines[key] = h('p', { class: 'field-error', id: `${formId}-${key}-err` });
    return lines[key];
  };
  const clearAll = () => {
    msg.className = 'form-msg';
    msg.textContent = '';
    for (const [k, el] of Object.entries(lines)) {
      el.textContent = '';
      const c = controls[k];
      if (c) c.removeAttribute('aria-invalid');
    }
  };
  const show = (e, localText) => {
    const gist = localText || planError(e);
    const key = localText ? e : errorField(e);
    msg.className = 'form-msg bad';
    msg.textContent = '';
    msg.append(h('p', { class: 'form-gist' }, gist));
    if (!localText && e.message) msg.append(h('p', { class: 'form-detail' }, t('desc_server_said'), ' ', h('q', { lang: 'en' }, e.message)));
    const target = key && (lines[key] ? key : key === 'state' && lines.progress ? 'progress' : null);
    if (target) {
      lines[target].textContent = gist;
      const c = controls[target];
      if (c) {
        c.setAttribute('aria-invalid', 'true');
        c.setAttribute('aria-describedby', lines[target].id);
        c.focus();
      }
    }
  };
  const ok = (text) => {
    msg.className = 'form-msg ok';
    msg.textContent = '';
    msg.append(h('p', null, text));
  };
  return { msg, line, clearAll, show, ok };
}
