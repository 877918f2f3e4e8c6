// The compiler's verification queue (GET /reports/queue: accept, or return with a comment), the
// inspection form (POST /inspections: its follow-up actions become tasks of the plan) and the
// lessons learned (GET /lessons?q=, POST /lessons).
import { t, fmtDate, fmtNum, dateFormatHint } from '../i18n.js';
import { h, buildQuery, snippetNodes } from '../util.js';
import { get, post, enc, session } from '../api.js';
import { table, dateInput, dl } from './common.js';
import { taskHref } from './plans.js';
import { reportCard } from './task.js';
import { agencyNames, agencyLabel, mayInspect, mayAddLesson, formErrors } from './plans_common.js';

/* ---- the verification queue ---- */

export async function queueView({ query, render }) {
  const plan = query.plan || '';
  const root = h('div', { class: 'queue-page' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/plans' }, t('plans_title'))),
    h('h1', null, t('queue_title')),
    h('p', { class: 'lead' }, t('queue_intro')));
  if (!session.user) {
    root.append(h('p', null, h('a', { href: '#/login?next=' + encodeURIComponent(location.hash) }, t('login')), ' ', t('queue_login')));
    return root;
  }
  const q = await get('/reports/queue' + buildQuery({ plan }));
  /* oldest first: the day sent, then the number */
  const items = (q.items || []).slice().sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id - b.id));
  /* the tasks' titles and the agencies' names, from each plan of the queue */
  const plans = [...new Set(items.map((r) => r.task.slice(0, r.task.indexOf('/'))))];
  const full = await Promise.all(plans.map((p) => get('/plans/' + enc(p)).catch(() => null)));
  const names = agencyNames(...full);
  const titles = new Map();
  for (const p of full.filter(Boolean)) for (const x of p.task_list) titles.set(x.ref, x.title);
  if (plan) root.append(h('p', null, t('queue_of_plan', { p: plan }), ' ', h('a', { href: '#/reports/queue' }, t('queue_all'))));
  root.append(h('p', { role: 'status', id: 'queue-count' }, items.length ? t('queue_n', { n: fmtNum(items.length) }) : t('queue_none')));
  const byTask = new Map();
  for (const r of items) {
    if (!byTask.has(r.task)) byTask.set(r.task, []);
    byTask.get(r.task).push(r);
  }
  root.append(h('div', { id: 'queue' }, [...byTask.entries()].map(([ref, rs]) => h('section', { class: 'queue-task' },
    h('h2', null, h('a', { href: taskHref(ref) }, ref), ' — ', titles.get(ref) || ''),
    h('ol', { class: 'history' }, rs.map((r) => reportCard(r, names, () => render({ keepFocus: true }), rs)))))));
  return root;
}

/* ---- inspections ---- */

const RATINGS = ['tot', 'kha', 'dat', 'chua_dat'];

export async function inspectionView({ args }) {
  const plan = await get('/plans/' + enc(args[0]));
  const names = agencyNames(plan);
  const root = h('div', { class: 'inspection-page' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/plans' }, t('plans_title')), ' › ', h('a', { href: '#/plans/' + enc(plan.id) }, plan.id)),
    h('h1', null, t('insp_title')),
    h('p', { class: 'lead' }, t('insp_intro', { p: plan.title || plan.id })));

  /* the inspections recorded, newest first, each with what it found and what it asked for */
  const insp = (await get('/inspections' + buildQuery({ plan: plan.id }))).items || [];
  const byRef = new Map(plan.task_list.map((x) => [x.ref, x]));
  root.append(h('section', { id: 'insp-list' }, h('h2', null, t('insp_list_title')),
    insp.length ? h('ol', { class: 'inspections' }, insp.map((x) => h('li', { class: 'inspection', id: 'inspection-' + x.id },
      h('h3', null, t('insp_n', { n: x.id }), ' · ', fmtDate(x.date), ' · ', x.team),
      dl([
        [t('insp_agency'), x.agency ? agencyLabel(names, x.agency) : null],
        [t('insp_scope'), x.scope],
        [t('insp_findings'), x.findings ? h('span', { class: 'prose' }, x.findings) : null],
        [t('insp_rating'), x.rating ? t('rating_' + x.rating) : null],
        [t('insp_follow'), x.follow_up.length ? h('ul', { class: 'evidence-files' }, x.follow_up.map((ref) => h('li', null,
          h('a', { href: taskHref(ref) }, ref.split('/').pop()), ' ', byRef.get(ref) ? byRef.get(ref).title : ''))) : null],
      ], 'meta')))) : h('p', { class: 'muted' }, t('insp_list_none'))));

  /* the follow-up tasks of earlier inspections, with their state as tasks of the plan */
  const follow = plan.task_list.filter((x) => /^inspection:/.test(x.origin || ''));
  root.append(h('section', { id: 'insp-follow' }, h('h2', null, t('insp_follow_title')),
    follow.length ? table([
      [t('col_task'), (x) => h('a', { href: taskHref(x.ref) }, x.item_no)],
      [t('col_title'), (x) => h('a', { href: taskHref(x.ref) }, x.title)],
      [t('col_lead'), (x) => (x.lead || []).map((a) => agencyLabel(names, a.code, a.name)).join('; ')],
      [t('col_due'), (x) => (x.due && x.due.text) || t('none')],
      [t('col_from'), (x) => t('task_from_inspection', { n: x.origin.split(':')[1] })],
    ], follow, null, 'dossier-table') : h('p', { class: 'muted' }, t('insp_follow_none'))));

  if (!mayInspect()) {
    root.append(h('p', { class: 'muted', id: 'insp-not-allowed' }, session.user ? t('insp_not_allowed') : t('insp_login')));
    return root;
  }
  root.append(inspectionForm(plan, names));
  return root;
}

function agencyOptions(names, selected, withEmpty) {
  const opts = [...names.entries()].sort((a, b) => a[1].localeCompare(b[1], 'vi'));
  return [withEmpty ? h('option', { value: '' }, t('insp_agency_none')) : h('option', { value: '' }, t('insp_agency_pick')),
    ...opts.map(([code, name]) => h('option', { value: code, selected: code === selected }, `${name} (${code})`))];
}

function inspectionForm(plan, names) {
  const c = {};
  const date = dateInput({ id: 'in-date', name: 'date' }, '');
  c.date = date.input;
  c.team = h('input', { id: 'in-team', type: 'text', autocomplete: 'off' });
  c.scope = h('textarea', { id: 'in-scope', rows: '2', lang: 'vi' });
  c.agency = h('select', { id: 'in-agency' }, agencyOptions(names, '', true));
  c.findings = h('textarea', { id: 'in-findings', rows: '4', lang: 'vi' });
  c.rating = h('select', { id: 'in-rating' }, h('option', { value: '' }, t('insp_rating_none')),
    RATINGS.map((r) => h('option', { value: r }, t('rating_' + r))));
  const rows = h('tbody', { id: 'in-follow-rows' });
  c.follow_up = rows;
  const E = formErrors('inspection-form', c);
  const addRow = () => {
    const n = rows.children.length + 1;
    const tr = h('tr', null,
      h('td', { 'data-label': t('insp_fu_title') }, h('label', { class: 'visually-hidden', for: `in-fu-title-${n}` }, t('insp_fu_title')),
        h('input', { id: `in-fu-title-${n}`, class: 'fu-title', type: 'text', lang: 'vi' })),
      h('td', { 'data-label': t('insp_fu_agency') }, h('label', { class: 'visually-hidden', for: `in-fu-agency-${n}` }, t('insp_fu_agency')),
        h('select', { id: `in-fu-agency-${n}`, class: 'fu-agency' }, agencyOptions(names, '', false))),
      h('td', { 'data-label': t('insp_fu_due') }, h('label', { class: 'visually-hidden', for: `in-fu-due-${n}` }, t('insp_fu_due')),
        h('input', { id: `in-fu-due-${n}`, class: 'fu-due', type: 'text', placeholder: t('insp_fu_due_ph') })),
      h('td', null, h('button', { type: 'button', class: 'link-like', onclick: () => tr.remove() }, t('insp_fu_remove'))));
    rows.append(tr);
    return tr;
  };
  addRow();
  const submit = h('button', { type: 'submit', id: 'in-submit' }, t('insp_submit'));
  const form = h('form', { class: 'desc-form inspection-form', id: 'inspection-form', novalidate: true },
    h('h2', null, t('insp_form_title')),
    h('div', { class: 'form-row' }, h('label', { for: 'in-date' }, t('insp_date'), ' ', h('span', { class: 'req' }, `(${dateFormatHint()})`)), date, E.line('date')),
    h('div', { class: 'form-row' }, h('label', { for: 'in-team' }, t('insp_team')), c.team, E.line('team')),
    h('div', { class: 'form-row' }, h('label', { for: 'in-scope' }, t('insp_scope')), c.scope, E.line('scope')),
    h('div', { class: 'form-row' }, h('label', { for: 'in-agency' }, t('insp_agency')), c.agency, E.line('agency')),
    h('div', { class: 'form-row' }, h('label', { for: 'in-findings' }, t('insp_findings')), c.findings, E.line('findings')),
    h('div', { class: 'form-row' }, h('label', { for: 'in-rating' }, t('insp_rating')), c.rating, E.line('rating')),
    h('fieldset', { class: 'form-row' }, h('legend', null, t('insp_follow')),
      h('p', { class: 'form-hint' }, t('insp_follow_hint')),
      h('div', { class: 'table-wrap dossier-table' }, h('table', null,
        h('thead', null, h('tr', null, h('th', null, t('insp_fu_title')), h('th', null, t('insp_fu_agency')), h('th', null, t('insp_fu_due')), h('th', null, h('span', { class: 'visually-hidden' }, t('insp_fu_remove'))))),
        rows)),
      h('p', null, h('button', { type: 'button', id: 'in-fu-add', onclick: () => addRow().querySelector('input').focus() }, t('insp_fu_add'))),
      E.line('follow_up')),
    h('div', { class: 'form-buttons' }, submit),
    E.msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    E.clearAll();
    const d = date.iso();
    if (d === null) {
      E.show('date', t('date_invalid', { v: date.input.value, f: dateFormatHint() }));
      return;
    }
    const body = { plan: plan.id, date: d || '', team: c.team.value.trim(), scope: c.scope.value.trim() };
    if (c.agency.value) body.agency = c.agency.value;
    if (c.findings.value.trim()) body.findings = c.findings.value.trim();
    if (c.rating.value) body.rating = c.rating.value;
    const follow = [];
    for (const tr of rows.children) {
      const title = tr.querySelector('.fu-title').value.trim();
      const ag = tr.querySelector('.fu-agency').value;
      const due = tr.querySelector('.fu-due').value.trim();
      if (!title && !ag && !due) continue;
      follow.push(due ? { title, agency: ag, due } : { title, agency: ag });
    }
    if (follow.length) body.follow_up = follow;
    submit.disabled = true;
    try {
      const r = await post('/inspections', body);
      /* the page again: the new tasks join the list above, the form is empty */
      const { setFlash, render } = await import('../app.js');
      setFlash(t('insp_saved', { n: r.id, k: fmtNum(r.follow_up_tasks) }));
      render();
    } catch (err) {
      E.show(err);
      submit.disabled = false;
    }
  });
  return form;
}

/* ---- lessons ---- */

export async function lessonsView({ query, go, render }) {
  const q = (query.q || '').trim();
  const root = h('div', { class: 'lessons-page' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/plans' }, t('plans_title'))),
    h('h1', null, t('lessons_title')),
    h('p', { class: 'lead' }, t('lessons_intro')));
  const input = h('input', { id: 'lesson-q', type: 'search', value: q, placeholder: t('lessons_search_ph'), autocomplete: 'off' });
  root.append(h('form', { class: 'inline-form', role: 'search', onsubmit: (e) => {
    e.preventDefault();
    go('#/lessons' + buildQuery({ q: input.value.trim() }));
  } }, h('div', { class: 'field' }, h('label', { for: 'lesson-q' }, t('lessons_search')), input), h('button', { type: 'submit' }, t('search_button'))));
  if (!session.user) {
    root.append(h('p', null, h('a', { href: '#/login?next=' + encodeURIComponent(location.hash) }, t('login')), ' ', t('lessons_login')));
    return root;
  }
  const r = await get('/lessons' + buildQuery({ q, limit: 100 }));
  const items = r.items || [];
  const n = items.length ? (r.total_exact ? '' : '~') + fmtNum(Math.max(r.total || 0, items.length)) : 0;
  root.append(h('p', { role: 'status', id: 'lessons-count' }, items.length ? t('lessons_n', { n }) : q ? t('lessons_none_q', { q }) : t('lessons_none')));
  /* found by words: the words marked where they stand, the whole text a click away */
  root.append(h('ol', { class: 'lessons', id: 'lessons' }, items.map((l) => h('li', { class: 'lesson' },
    h('h2', null, l.title),
    l.snippet && q
      ? [h('p', { class: 'snippet' }, snippetNodes(l.snippet)),
        h('details', { class: 'lesson-body' }, h('summary', null, t('lesson_full')), h('p', { class: 'prose' }, l.body))]
      : h('p', { class: 'prose' }, l.body),
    h('p', { class: 'muted lesson-meta' },
      l.task ? [t('lesson_task'), ' ', h('a', { href: taskHref(l.task) }, l.task), ' · '] : null,
      l.agency ? [t('lesson_agency', { a: l.agency }), ' · '] : null,
      t('lesson_by', { d: fmtDate(l.at), u: l.by && l.by.startsWith('cli:') ? t('by_cli', { u: l.by.slice(4) }) : l.by || '' }))))));
  if (mayAddLesson()) root.append(lessonForm(render));
  return root;
}

function lessonForm(render) {
  const c = {};
  c.title = h('input', { id: 'ls-title', type: 'text', lang: 'vi', autocomplete: 'off' });
  c.body = h('textarea', { id: 'ls-body', rows: '5', lang: 'vi' });
  c.task = h('input', { id: 'ls-task', type: 'text', autocomplete: 'off', spellcheck: 'false' });
  c.agency = h('input', { id: 'ls-agency', type: 'text', autocomplete: 'off', spellcheck: 'false' });
  const E = formErrors('lesson-form', c);
  const submit = h('button', { type: 'submit', id: 'ls-submit' }, t('lesson_submit'));
  const form = h('form', { class: 'desc-form', id: 'lesson-form', novalidate: true },
    h('h2', null, t('lesson_form_title')),
    h('div', { class: 'form-row' }, h('label', { for: 'ls-title' }, t('lesson_title')), c.title, E.line('title')),
    h('div', { class: 'form-row' }, h('label', { for: 'ls-body' }, t('lesson_body')), c.body, E.line('body')),
    h('div', { class: 'form-row' }, h('label', { for: 'ls-task' }, t('lesson_task_field')), c.task,
      h('p', { class: 'form-hint' }, t('lesson_task_hint')), E.line('task')),
    h('div', { class: 'form-row' }, h('label', { for: 'ls-agency' }, t('lesson_agency_field')), c.agency,
      h('p', { class: 'form-hint' }, t('lesson_agency_hint')), E.line('agency')),
    h('div', { class: 'form-buttons' }, submit), E.msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    E.clearAll();
    const body = { title: c.title.value.trim(), body: c.body.value.trim() };
    if (c.task.value.trim()) body.task = c.task.value.trim();
    if (c.agency.value.trim()) body.agency = c.agency.value.trim();
    submit.disabled = true;
    try {
      const r = await post('/lessons', body);
      const { setFlash } = await import('../app.js');
      setFlash(t('lesson_saved', { n: r.id }));
      render();
    } catch (err) {
      E.show(err);
      submit.disabled = false;
    }
  });
  return form;
}
