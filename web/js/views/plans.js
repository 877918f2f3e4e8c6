// "Kế hoạch": the plans one may read (GET /plans), and a plan's dashboard (GET /plans/{id} and
// its evaluations): the count line, a traffic light per agency, progress by month and by quarter
// as Chart.js charts (one evaluation per month and per quarter of the year shown), the overdue
// and due-soon lists, the ranking of agencies with its rule, and every task with its status,
// each leading to its page (js/views/task.js).
import { t, fmtDate, fmtNum, getLang } from '../i18n.js';
import { h, buildQuery } from '../util.js';
import { get, post, enc } from '../api.js';
import { table, dl, dateInput } from './common.js';
import { loadChart, stackedBars } from '../charts.js';
import {
  agencyNames, agencyLabel, statusBadge, progressBar, periodLabel, monthShort, quarterShort, yearsOf, chartYear,
  light, lightReason, mayVerify, mayInspect, mayAddLesson, planError,
} from './plans_common.js';

/* ---- the list ---- */

export async function plansView() {
  const r = await get('/plans');
  const items = r.items || [];
  const root = h('div', { class: 'plans-page' }, h('h1', null, t('plans_title')), h('p', { class: 'lead' }, t('plans_intro')));
  if (r.my_agency) root.append(h('p', { class: 'muted', id: 'my-agency' }, t('plans_my_agency', { a: r.my_agency })));
  if (r.my_agency) root.append(await noticesBox());
  const links = [];
  if (items.some((p) => mayVerify(r.my_agency, p))) links.push(h('a', { href: '#/reports/queue', id: 'queue-link', class: 'button-link' }, t('queue_title')));
  links.push(h('a', { href: '#/lessons', class: 'button-link' }, t('lessons_title')));
  root.append(h('p', { class: 'plan-actions' }, links));
  if (!items.length) {
    root.append(h('p', { role: 'status' }, t('plans_none')));
    return root;
  }
  root.append(h('ul', { class: 'plan-cards', id: 'plan-list' }, items.map((p) => h('li', { class: 'plan-card' },
    h('h2', null, h('a', { href: '#/plans/' + enc(p.id) }, p.title || p.id)),
    isDemo(p) ? h('p', null, h('span', { class: 'badge demo-badge' }, t('plan_demo_badge'))) : null,
    dl([
      [t('plan_number'), p.number],
      [t('plan_date'), p.date ? fmtDate(p.date) : null],
      [t('plan_issuer'), p.issuer],
      [t('plan_period'), `${fmtDate(p.period_from)} – ${fmtDate(p.period_to)}`],
      [t('plan_compiler'), p.compiler],
      [t('plan_tasks'), fmtNum(p.tasks)],
    ], 'meta plan-meta')))));
  return root;
}

/* The due-soon and overdue notices of the user's agency (GET /notices: the ones that hold today,
   also sent by e-mail once a day): what to do first. */
async function noticesBox() {
  let r;
  try {
    r = await get('/notices');
  } catch (e) {
    return null; /* an account the server gives no notices to */
  }
  const items = r.items || [];
  const box = h('section', { id: 'notices', class: 'notices' + (items.some((n) => n.kind === 'overdue') ? ' bad' : items.length ? ' warn' : ''), 'aria-labelledby': 'notices-h' });
  if (!items.length) {
    box.append(h('h2', { id: 'notices-h' }, t('notices_none')));
    return box;
  }
  const over = items.filter((n) => n.kind === 'overdue').length;
  const name = items[0].agency_name || items[0].agency;
  box.append(h('h2', { id: 'notices-h' }, t('notices_title', { a: name, o: fmtNum(over), s: fmtNum(items.length - over) })),
    table([
      [t('col_notice'), (n) => h('span', { class: 'badge status status-' + (n.kind === 'overdue' ? 'overdue' : 'waiting') }, t('notice_' + n.kind))],
      [t('col_title'), (n) => h('a', { href: taskHref(n.task) }, n.title || n.task)],
      [t('col_plan'), (n) => n.plan_number || n.plan_id],
      [t('col_due'), (n) => h('span', { class: 'nowrap' }, fmtDate(n.due))],
      [t('col_days'), (n) => t(n.kind === 'overdue' ? 'notice_days_over' : 'notice_days_left', { n: fmtNum(n.days) })],
      [t('col_mail'), (n) => noticeState(n)],
    ], items, null, 'dossier-table'),
    h('p', { class: 'note' }, t('notices_note')));
  return box;
}

function noticeState(n) {
  if (n.state === 'sent') return t('notice_sent', { d: n.sent_at ? fmtDate(n.sent_at.slice(0, 10)) : '' });
  if (n.state === 'failed') return h('span', { class: 'warn-text' }, t('notice_failed', { n: fmtNum(n.attempts || 0) }));
  return t('notice_' + (n.state === 'queued' ? 'queued' : 'new'));
}

function isDemo(p) {
  return /DEMO/.test(`${p.id} ${p.title || ''} ${p.note || ''}`);
}

/* ---- the dashboard ---- */

const SERIES = [
  ['done_on_time', '#2e7d32'],
  ['done_late', '#8fbf4d'],
  ['going', '#2f6fb5'],
  ['not_started', '#aab2bc'],
  ['waiting', '#e2a321'],
  ['overdue', '#c62828'],
];

function seriesValue(c, key) {
  return key === 'going' ? c.open_on_time - c.not_started : c[key];
}

/* The period picker: every task (at the day), a year, a half, a quarter or a month of the plan. */
function periodSelect(plan, value) {
  const sel = h('select', { id: 'plan-period', name: 'period' },
    h('option', { value: '', selected: !value }, t('period_all')));
  for (const y of yearsOf(plan)) {
    const opts = [`${y}`, `${y}-H1`, `${y}-H2`, ...[1, 2, 3, 4].map((q) => `${y}-Q${q}`),
      ...Array.from({ length: 12 }, (_, i) => `${y}-${String(i + 1).padStart(2, '0')}`)];
    sel.append(h('optgroup', { label: t('period_year', { y }) },
      opts.map((p) => h('option', { value: p, selected: p === value }, periodLabel(p)))));
  }
  return sel;
}

export async function planView({ args, query, go, render }) {
  const id = args[0];
  const period = query.period || '';
  const agency = query.agency || '';
  const [plan, list] = await Promise.all([get('/plans/' + enc(id) + buildQuery({ at: query.at })), get('/plans')]);
  const myAgency = list.my_agency || null;
  const ev = await get(`/plans/${enc(id)}/eval` + buildQuery({ period, at: query.at, agency }));
  const at = ev.at;
  let settings = {};
  try {
    settings = await get('/plan-settings');
  } catch (e) { /* the "due soon" days are then said without a number */ }
  const names = agencyNames(ev, plan);

  const root = h('div', { class: 'plan-page' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/plans' }, t('plans_title')), ' › ', plan.id),
    h('h1', { id: 'plan-title' }, plan.title || plan.id),
    isDemo(plan) ? h('p', { class: 'demo-note' }, h('span', { class: 'badge demo-badge' }, t('plan_demo_badge')), ' ', plan.note || '') : null);

  root.append(h('details', { class: 'plan-facts' },
    h('summary', null, t('plan_facts', { n: plan.number || plan.id, d: plan.date ? fmtDate(plan.date) : '' })),
    dl([
      [t('plan_number'), plan.number],
      [t('plan_date'), plan.date ? fmtDate(plan.date) : null],
      [t('plan_issuer'), plan.issuer],
      [t('plan_period'), `${fmtDate(plan.period_from)} – ${fmtDate(plan.period_to)}`],
      [t('plan_compiler'), agencyLabel(names, plan.compiler)],
      [t('plan_tasks'), fmtNum(plan.tasks)],
      [t('plan_note'), isDemo(plan) ? null : plan.note],
      [t('plan_document'), plan.document_id ? h('a', { href: '#/doc/' + enc(plan.document_id) }, plan.document_id) : null],
    ])));

  /* what this user may do here */
  const acts = [];
  if (mayVerify(myAgency, plan)) acts.push(h('a', { href: '#/reports/queue?plan=' + enc(plan.id), class: 'button-link', id: 'plan-queue-link' }, t('queue_title')));
  if (mayInspect()) acts.push(h('a', { href: `#/plans/${enc(plan.id)}/inspection`, class: 'button-link', id: 'inspection-link' }, t('insp_title')));
  acts.push(h('a', { href: '#/lessons', class: 'button-link' }, mayAddLesson() ? t('lessons_title_add') : t('lessons_title')));
  if (myAgency && plan.task_list.some((x) => (x.lead || []).some((a) => a.code === myAgency))) {
    acts.unshift(h('a', { href: '#/plans/' + enc(plan.id) + buildQuery({ agency: myAgency, period, at: query.at }), class: 'button-link', id: 'mine-link' },
      t('plan_mine', { a: agencyLabel(names, myAgency) })));
  }
  root.append(h('p', { class: 'plan-actions' }, acts));

  /* the period and the day */
  const day = dateInput({ id: 'plan-at', name: 'at' }, query.at || '');
  day.input.setAttribute('placeholder', fmtDate(at));
  const psel = periodSelect(plan, period);
  root.append(h('form', { class: 'inline-form plan-filter', id: 'plan-filter', onsubmit: (e) => {
    e.preventDefault();
    const d = day.iso();
    if (d === null) return;
    go(`#/plans/${enc(plan.id)}` + buildQuery({ period: psel.value, at: d, agency }));
  } },
  h('div', { class: 'field' }, h('label', { for: 'plan-period' }, t('plan_period_pick')), psel),
  h('div', { class: 'field' }, h('label', { for: 'plan-at' }, t('plan_at_pick')), day),
  h('button', { type: 'submit' }, t('plan_show')),
  agency ? h('a', { href: `#/plans/${enc(plan.id)}` + buildQuery({ period, at: query.at }), class: 'chip' }, t('plan_agency_only', { a: agencyLabel(names, agency) }), ' ×') : null));

  /* the count line */
  root.append(h('section', { class: 'count-box', id: 'count-line', 'aria-labelledby': 'count-h' },
    h('h2', { id: 'count-h' }, t('count_title', { p: periodLabel(ev.period), d: fmtDate(at) })),
    h('p', { class: 'count-line' }, getLang() === 'vi' ? ev.line_vi : ev.line_en),
    h('ul', { class: 'stat-cards count-cards' }, [
      ['total', ev.total.total], ['done_on_time', ev.total.done_on_time], ['done_late', ev.total.done_late],
      ['going', ev.total.open_on_time - ev.total.not_started], ['not_started', ev.total.not_started],
      ['waiting', ev.total.waiting], ['overdue', ev.total.overdue],
    ].map(([k, v]) => h('li', { class: `stat stat-${k}` + (k === 'overdue' && v > 0 ? ' bad' : '') },
      h('span', { class: 'stat-n' }, fmtNum(v)), h('span', { class: 'stat-l' }, t('cnt_' + k))))),
    ev.total.total ? h('p', { class: 'muted' }, t('count_pct', { d: fmtNum(ev.total.pct_done), o: fmtNum(ev.total.pct_on_time) })) : null,
    previousLine(ev)));
  if (mayVerify(myAgency, plan) && ev.period && ev.to < at) root.append(closeBox(plan, ev, render));

  /* traffic lights */
  const soonBy = new Map();
  for (const s of ev.soon || []) soonBy.set(s.agency, (soonBy.get(s.agency) || 0) + 1);
  const soonDays = settings.soon_days || '';
  root.append(h('section', { id: 'lights', 'aria-labelledby': 'lights-h' },
    h('h2', { id: 'lights-h' }, t('lights_title')),
    h('p', { class: 'note rule-note' }, t('lights_rule', { n: soonDays || '…' })),
    ev.agencies.length
      ? h('ul', { class: 'lights' }, byLight(ev.agencies, soonBy).map(([a, c]) => {
        return h('li', { class: 'light-item light-' + c, 'data-agency': a.code },
          h('span', { class: 'light-dot', 'aria-hidden': 'true' }),
          h('span', { class: 'light-body' },
            h('a', { class: 'light-name', href: `#/plans/${enc(plan.id)}` + buildQuery({ agency: a.code, period, at: query.at }) }, agencyLabel(names, a.code)),
            h('span', { class: 'light-word' }, t('light_' + c)),
            h('span', { class: 'light-why' }, lightReason(a, soonBy.get(a.code) || 0))));
      }))
      : h('p', { class: 'muted' }, t('lights_none'))));

  /* charts: one evaluation per month and per quarter of the year */
  const year = chartYear(plan, ev.period, at);
  const charts = h('section', { id: 'charts', 'aria-labelledby': 'charts-h' },
    h('h2', { id: 'charts-h' }, t('charts_title', { y: year })),
    h('p', { class: 'note' }, t('charts_note', { d: fmtDate(at) })));
  root.append(charts);
  drawCharts(charts, plan, year, query.at, agency).catch((e) => {
    charts.append(h('p', { class: 'error' }, t('error', { m: e.message })));
  });

  /* overdue and due soon */
  const itemCols = (days) => [
    [t('col_task'), (x) => h('a', { href: taskHref(x.ref) }, x.ref.slice(x.ref.indexOf('/') + 1))],
    [t('col_title'), (x) => h('a', { href: taskHref(x.ref) }, x.title || t('none'))],
    [t('col_lead'), (x) => agencyLabel(names, x.agency)],
    [t('col_due'), (x) => h('span', { class: 'nowrap' }, fmtDate(x.due))],
    [days, (x) => fmtNum(x.days)],
  ];
  root.append(h('section', { id: 'overdue', 'aria-labelledby': 'overdue-h' },
    h('h2', { id: 'overdue-h' }, t('overdue_title', { n: fmtNum((ev.overdue || []).length) })),
    ev.overdue && ev.overdue.length ? table(itemCols(t('col_days_over')), ev.overdue, null, 'dossier-table') : h('p', { class: 'muted' }, t('overdue_none'))));
  root.append(h('section', { id: 'soon', 'aria-labelledby': 'soon-h' },
    h('h2', { id: 'soon-h' }, t('soon_title', { n: soonDays || '…' })),
    ev.soon && ev.soon.length ? table(itemCols(t('col_days_left')), ev.soon, null, 'dossier-table') : h('p', { class: 'muted' }, t('soon_none'))));

  /* the ranking */
  root.append(h('section', { id: 'ranking', 'aria-labelledby': 'ranking-h' },
    h('h2', { id: 'ranking-h' }, t('rank_title')),
    h('p', { class: 'note rule-note', id: 'rank-rule' }, rankRule(ev.rule)),
    ev.agencies.length ? table([
      [t('col_rank'), (a) => fmtNum(a.rank)],
      [t('col_agency'), (a) => h('a', { href: `#/plans/${enc(plan.id)}` + buildQuery({ agency: a.code, period, at: query.at }) }, agencyLabel(names, a.code))],
      [t('cnt_total'), (a) => fmtNum(a.total)],
      [t('cnt_done_on_time'), (a) => fmtNum(a.done_on_time)],
      [t('cnt_done_late'), (a) => fmtNum(a.done_late)],
      [t('cnt_open'), (a) => fmtNum(a.open_on_time)],
      [t('cnt_waiting'), (a) => fmtNum(a.waiting)],
      [t('cnt_overdue'), (a) => fmtNum(a.overdue)],
      [t('col_score'), (a) => fmtNum(a.score)],
    ], ev.agencies, null, 'dossier-table rank-table') : h('p', { class: 'muted' }, t('lights_none'))));

  /* every task */
  const tasks = plan.task_list.filter((x) => !agency || x.section || (x.lead || []).some((a) => a.code === agency));
  root.append(h('section', { id: 'tasks', 'aria-labelledby': 'tasks-h' },
    h('h2', { id: 'tasks-h' }, t('tasks_title', { d: fmtDate(at) })),
    table([
      [t('col_task'), (x) => (x.section ? h('strong', null, x.item_no) : h('a', { href: taskHref(x.ref) }, x.item_no))],
      [t('col_title'), (x) => (x.section ? h('strong', null, x.title) : h('a', { href: taskHref(x.ref) }, x.title || t('none')))],
      [t('col_lead'), (x) => (x.lead || []).map((a) => agencyLabel(names, a.code, a.name)).join('; ') || (x.section ? '' : t('none'))],
      [t('col_due'), (x) => (x.section ? '' : dueCell(x))],
      [t('col_status'), (x) => (x.section ? '' : statusBadge(x.status))],
      [t('col_progress'), (x) => progressBar(x.progress)],
    ], tasks.filter((x) => !agency || !x.section || tasks.some((y) => y.parent_no === x.item_no && !y.section)), null, 'dossier-table task-table')));
  return root;
}

/* Red first, then amber, then green; in each, the ranking's order. */
function byLight(agencies, soonBy) {
  const soon = new Set(soonBy.keys());
  const order = { red: 0, amber: 1, green: 2 };
  return agencies.map((a) => [a, light(a, soon)]).sort((x, y) => order[x[1]] - order[y[1]] || x[0].rank - y[0].rank);
}

export function taskHref(ref) {
  const i = ref.indexOf('/');
  return `#/plans/${enc(ref.slice(0, i))}/tasks/${enc(ref.slice(i + 1))}`;
}

/* The deadline as the plan writes it, and as read. */
function dueCell(x) {
  const d = x.due || {};
  const read = x.judged_due || d.date;
  return h('span', { class: 'due' }, h('span', { class: 'due-text' }, d.text || t('none')),
    read && read !== d.text ? h('span', { class: 'due-read' }, ` (${fmtDate(read)})`) : null,
    d.kind === 'unread' ? h('span', { class: 'warn-text' }, ` ${t('due_unread')}`) : null);
}

function previousLine(ev) {
  if (!ev.previous) return null;
  const p = ev.previous;
  return h('p', { class: 'previous', id: 'previous' }, t('previous_line', {
    p: periodLabel(p.period), d: fmtNum(p.done_on_time + p.done_late), n: fmtNum(p.total), o: fmtNum(p.overdue),
  }));
}

function closeBox(plan, ev, render) {
  const out = h('span', { class: 'close-msg', role: 'status' });
  return h('p', { class: 'close-box' }, h('button', { type: 'button', id: 'close-period', onclick: async (e) => {
    e.target.disabled = true;
    try {
      await post(`/plans/${enc(plan.id)}/close`, { period: ev.period });
      out.textContent = t('close_done', { p: periodLabel(ev.period) });
      setTimeout(() => render({ keepFocus: true }), 800);
    } catch (err) {
      out.textContent = err.status === 409 ? t('close_already') : planError(err);
      e.target.disabled = false;
    }
  } }, t('close_button', { p: periodLabel(ev.period) })), ' ', out);
}

/* The ranking rule in words: "done_on_time=2,…,overdue=-2" → "Điểm = (2 × … − 2 × …) ÷ …". */
export function rankRule(rule) {
  const parts = String(rule || '').split(',').map((x) => x.split('=')).filter((x) => x.length === 2);
  const terms = parts.map(([k, w], i) => {
    const n = Number(w);
    const sign = n < 0 ? ' − ' : i ? ' + ' : '';
    return `${sign}${fmtNum(Math.abs(n))} × ${t('rule_' + k).toLowerCase()}`;
  });
  return h('span', null, t('rank_rule', { f: terms.join('').trim() }), ' ', h('code', { class: 'rule-raw' }, rule || ''));
}

/* The charts of a year: 12 months and 4 quarters, each an evaluation of the plan at the day. */
async function drawCharts(box, plan, year, at, agency) {
  const months = Array.from({ length: 12 }, (_, i) => `${year}-${String(i + 1).padStart(2, '0')}`);
  const quarters = [1, 2, 3, 4].map((q) => `${year}-Q${q}`);
  const evals = await Promise.all(months.concat(quarters).map((p) => get(`/plans/${enc(plan.id)}/eval` + buildQuery({ period: p, at, agency }))));
  const m = evals.slice(0, 12).map((e) => e.total);
  const q = evals.slice(12).map((e) => e.total);
  const parts = [
    ['chart-months', t('chart_months', { y: year }), months.map((_, i) => monthShort(i + 1)), months, m],
    ['chart-quarters', t('chart_quarters', { y: year }), quarters.map((_, i) => quarterShort(i + 1)), quarters, q],
  ];
  let Chart = null;
  let failed = null;
  try {
    Chart = await loadChart();
  } catch (e) {
    failed = e;
  }
  if (failed) box.append(h('p', { class: 'error', id: 'chart-missing' }, t('chart_missing')));
  for (const [id, title, labels, periods, counts] of parts) {
    const canvas = h('canvas', { id: id + '-canvas' });
    const fig = h('figure', { class: 'chart', id },
      h('figcaption', null, title),
      h('div', { class: 'chart-box' }, canvas),
      chartTable(title, periods, counts, !!failed));
    box.append(fig);
    if (Chart) {
      const series = SERIES.map(([k, color]) => ({ label: t('cnt_' + k), color, values: counts.map((c) => seriesValue(c, k)) }));
      series.totalLabel = (n) => t('chart_total', { n: fmtNum(n) });
      stackedBars(Chart, canvas, { labels, series, yTitle: t('chart_y'), ariaLabel: `${title}: ${t('chart_aria')}` });
    }
  }
}

/* The numbers behind a chart, for whoever cannot see it (and to check it). */
function chartTable(title, periods, counts, open) {
  return h('details', { class: 'chart-data', open },
    h('summary', null, t('chart_table')),
    table([
      [t('col_period'), (i) => periodLabel(periods[i])],
      [t('cnt_total'), (i) => fmtNum(counts[i].total)],
      ...SERIES.map(([k]) => [t('cnt_' + k), (i) => fmtNum(seriesValue(counts[i], k))]),
    ], periods.map((_, i) => i), title));
}
