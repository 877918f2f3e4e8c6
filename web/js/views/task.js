// A task of a plan (GET /plans/{id}/tasks/{item}): its agencies, its deadline as written and as
// read, its status and progress at the day, and its report history with each verdict; the
// report form for an officer of its lead agency (POST /tasks/{id}/reports; a returned report is
// corrected from here), and accept / return for the plan's compiler (POST /reports/{id}/verify).
import { t, fmtDate, fmtNum, dateFormatHint } from '../i18n.js';
import { h, clear, buildQuery, fmtSize } from '../util.js';
import { get, post, upload, enc } from '../api.js';
import { dl, dateInput } from './common.js';
import { peerLabel } from './send.js';
import {
  agencyNames, agencyLabel, statusBadge, progressBar, verdictBadge, periodLabel, reportPeriods, mayReport, mayVerify,
  byLabel, formErrors, planError, role,
} from './plans_common.js';

export async function taskView({ args, query, render }) {
  const [planId, item] = args;
  const [task, plan, list, ev] = await Promise.all([
    get(`/plans/${enc(planId)}/tasks/${enc(item)}` + buildQuery({ at: query.at })),
    get(`/plans/${enc(planId)}`),
    get('/plans'),
    get(`/plans/${enc(planId)}/eval`),
  ]);
  const myAgency = list.my_agency || null;
  const today = ev.at; /* the server's day: reports are dated by it */
  const names = agencyNames(ev, plan, task);
  const reports = task.reports || [];

  const root = h('div', { class: 'task-page' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/plans' }, t('plans_title')), ' › ',
      h('a', { href: '#/plans/' + enc(plan.id) }, plan.id), ' › ', t('task_n', { n: task.item_no })),
    h('p', { class: 'kicker' }, t('task_kicker', { n: task.item_no, p: plan.number || plan.id })),
    h('h1', { id: 'task-title' }, task.title || task.ref));

  const parent = task.parent_no ? plan.task_list.find((x) => x.item_no === task.parent_no) : null;
  const origin = /^inspection:(\d+)$/.exec(task.origin || '');
  root.append(h('section', { id: 'task-facts', 'aria-label': t('task_facts') }, dl([
    [t('task_status'), h('span', null, statusBadge(task.status), task.judged_due ? h('span', { class: 'muted' }, ' ', t('task_judged', { d: fmtDate(task.judged_due) })) : null)],
    [t('task_progress'), progressBar(task.progress)],
    [t('task_lead'), (task.lead || []).map((a) => agencyLabel(names, a.code, a.name)).join('; ') || t('none')],
    [t('task_support'), (task.support || []).map((a) => agencyLabel(names, a.code, a.name)).join('; ') || null],
    [t('task_due_text'), h('span', { id: 'task-due-text' }, task.due && task.due.text ? task.due.text : t('none'))],
    [t('task_due_read'), dueRead(task)],
    [t('task_output'), task.output],
    [t('task_weight'), fmtNum(task.weight)],
    [t('task_parent'), parent ? h('a', { href: '#/plans/' + enc(plan.id) }, `${parent.item_no}. ${parent.title}`) : null],
    [t('task_origin'), origin ? t('task_from_inspection', { n: origin[1] }) : null],
    [t('task_cancelled'), task.cancelled],
  ])));

  /* the history */
  const history = h('section', { id: 'history', 'aria-labelledby': 'history-h' },
    h('h2', { id: 'history-h' }, t('history_title', { n: fmtNum(reports.length) })));
  if (!reports.length) history.append(h('p', { class: 'muted' }, t('history_none')));
  else {
    history.append(h('p', { class: 'note' }, t('history_note')));
    const verifier = mayVerify(myAgency, plan);
    /* a report made here, of this node's own unit (a commune's node), not sent yet: it may go
       to the province; asked of the exchange only when there is such a candidate */
    const candidate = (r) => !r.origin && !r.message_id && (role() === 'admin' || (mayReport(myAgency, task) && r.agency === myAgency));
    let peers = null;
    if (reports.some(candidate)) peers = await get('/exchange/peers').catch(() => null);
    const sendable = (r) => candidate(r) && peers && peers.node === r.agency;
    history.append(h('ol', { class: 'history', reversed: true }, reports.slice().reverse().map((r) =>
      reportCard(r, names, verifier ? () => render({ keepFocus: true }) : null, reports,
        sendable(r) ? () => reportSender(r, peers.items || [], render) : null))));
  }
  root.append(history);

  /* the form (folded when the task is done: a further report is the exception) */
  if (!task.section && !task.cancelled && mayReport(myAgency, task)) {
    const form = reportForm({ task, plan, today, myAgency, names, reports });
    const mine = reports.filter((r) => r.agency === form.agency);
    const last = mine[mine.length - 1];
    const fold = form.correcting ? null
      : last && last.verdict === 'pending' ? t('rp_more_pending', { n: last.id })
        : /^done_/.test(task.status) ? t('rp_more') : null;
    root.append(fold ? h('details', { class: 'report-more', id: 'report-more' }, h('summary', null, fold), form) : form);
  } else if (!task.section && myAgency && !(task.lead || []).some((a) => a.code === myAgency)) {
    root.append(h('p', { class: 'muted', id: 'report-not-yours' }, t('report_not_yours', { a: agencyLabel(names, myAgency) })));
  }
  return root;
}

function dueRead(task) {
  const d = task.due || {};
  if (d.kind === 'unread') return h('span', { class: 'warn-text' }, t('due_unread'));
  if (d.kind === 'none') return t('none');
  const kind = t('due_kind_' + d.kind);
  if (d.kind === 'recurring' || d.kind === 'ongoing') return `${kind}${task.judged_due ? ' — ' + t('due_next', { d: fmtDate(task.judged_due) }) : ''}`;
  return `${kind}: ${d.start && d.start !== d.date ? fmtDate(d.start) + ' – ' : ''}${fmtDate(d.date)}`;
}

/* One report of the history, with its verdict; for the compiler a pending one has the buttons. */
export function reportCard(r, names, onVerified, all, sender) {
  const correctedBy = (all || []).find((x) => x.corrects === r.id);
  const li = h('li', { class: 'report-card verdict-line-' + (r.verdict || 'pending'), id: 'report-' + r.id },
    h('div', { class: 'report-head' },
      h('strong', null, t('report_n', { n: r.id })), ' · ',
      h('span', { class: 'report-period' }, periodLabel(r.period)), ' · ',
      t('report_by', { a: agencyLabel(names, r.agency), d: fmtDate(r.at), u: byLabel(r.by) }), ' ',
      verdictBadge(r.verdict),
      r.late ? [' ', h('span', { class: 'badge badge-late', title: t('rp_late_title', { d: fmtDate(r.report_due) }) }, t('rp_late'))] : null),
    dl([
      [t('rp_state'), h('span', null, t('rstate_' + r.state), ' · ', progressBar(r.progress))],
      [t('rp_done_on'), r.done_on ? fmtDate(r.done_on) : null],
      [t('rp_results'), r.results ? h('span', { class: 'prose' }, r.results) : null],
      [t('rp_difficulties'), r.difficulties ? h('span', { class: 'prose' }, r.difficulties) : null],
      [t('rp_proposals'), r.proposals ? h('span', { class: 'prose' }, r.proposals) : null],
      [t('rp_evidence'), r.evidence && r.evidence.some((x) => !x.startsWith('file:'))
        ? h('span', { class: 'evidence' }, r.evidence.filter((x) => !x.startsWith('file:')).map(evidenceLink)) : null],
      [t('rp_files'), r.files && r.files.length
        ? h('ul', { class: 'evidence-files' }, r.files.map((f) => h('li', null,
          h('a', { href: `/api/v1/evidence/${f.id}`, download: f.name }, f.name), ' ',
          h('span', { class: 'muted' }, `(${fmtSize(f.size)})`))))
        : null],
      [t('rp_corrects'), r.corrects ? h('a', { href: '#report-' + r.corrects, onclick: (e) => jump(e, r.corrects) }, t('report_n', { n: r.corrects })) : null],
      [t('rp_travel'), r.origin ? t('rp_came_from', { u: r.origin }) : r.message_id ? t('rp_went', { m: r.message_id }) : null],
    ], 'meta report-meta'),
    r.verdict && r.verdict !== 'pending'
      ? h('p', { class: 'verdict-note verdict-note-' + r.verdict },
        t(r.verdict === 'returned' ? 'verdict_returned_by' : 'verdict_accepted_by', { u: byLabel(r.verdict_by), d: fmtDate(r.verdict_at) }),
        r.verdict_comment ? h('span', { class: 'verdict-comment' }, ' ', t('verdict_comment', { c: r.verdict_comment })) : null,
        correctedBy ? h('span', { class: 'muted' }, ' ', t('report_corrected_by', { n: correctedBy.id })) : null)
      : null);
  if (onVerified && r.verdict === 'pending') li.append(verifyControls(r, onVerified));
  if (sender) li.append(sender());
  return li;
}

/* Send a report made on this node to the province over the exchange (POST /reports/{id}/send):
   the recipient chosen among the directory's nodes, the province's first. */
function reportSender(r, all, render) {
  const wrap = h('details', { class: 'report-send', id: 'report-send-' + r.id });
  const body = h('div', null);
  wrap.append(h('summary', null, t('rp_send')), body);
  wrap.addEventListener('toggle', () => {
    if (!wrap.open || body.childNodes.length) return;
    const peers = all.filter((p) => !p.self && !p.revoked);
    if (!peers.length) {
      body.append(h('p', { class: 'muted' }, t('send_no_peers')));
      return;
    }
    /* the province (a two-digit code) first */
    peers.sort((a, b) => (a.unit.length - b.unit.length) || a.unit.localeCompare(b.unit));
    const select = h('select', { id: 'rp-send-to-' + r.id, name: 'to' }, peers.map((p) => h('option', { value: p.unit }, peerLabel(p))));
    const status = h('p', { role: 'status' });
    const submit = h('button', { type: 'submit', id: 'rp-send-submit-' + r.id }, t('send_submit'));
    body.append(h('form', { class: 'inline-form', onsubmit: async (e) => {
      e.preventDefault();
      submit.disabled = true;
      clear(status).append(t('send_sending'));
      try {
        const res = await post(`/reports/${r.id}/send`, { to: select.value });
        const { setFlash } = await import('../app.js');
        setFlash(t('rp_send_done', { n: r.id, u: peerLabel(peers.find((p) => p.unit === res.to) || { unit: res.to }) }));
        render({ keepFocus: true });
      } catch (err) {
        clear(status).append(h('span', { class: 'error' }, err.message));
        submit.disabled = false;
      }
    } }, h('label', { for: 'rp-send-to-' + r.id }, t('rp_send_to')), ' ', select, ' ', submit), status);
  });
  return wrap;
}

/* A record cited as evidence: its subject once read (GET /documents/{id}), its id meanwhile and
   after; a record one may not read stays an id. */
function evidenceLink(id) {
  const a = h('a', { href: '#/doc/' + enc(id) }, id);
  get('/documents/' + enc(id)).then((d) => {
    if (d && d.subject) a.replaceChildren(d.subject, ' ', h('span', { class: 'muted' }, `(${id})`));
  }).catch(() => {});
  return a;
}

function jump(e, id) {
  const el = document.getElementById('report-' + id);
  if (!el) return;
  e.preventDefault();
  el.scrollIntoView({ block: 'center' });
  el.classList.add('flash-target');
}

/* Accept, or return with a comment (required: the agency must know what to correct). */
export function verifyControls(r, done) {
  const out = h('p', { class: 'verify-msg', role: 'status', id: `verify-msg-${r.id}` });
  const comment = h('textarea', { id: `verify-comment-${r.id}`, rows: '3', lang: 'vi', class: 'verify-comment' });
  const err = h('p', { class: 'field-error', id: `verify-comment-${r.id}-err` });
  const returnBox = h('div', { class: 'return-box', hidden: true },
    h('label', { for: comment.id }, t('verify_comment_label')), comment, err,
    h('div', { class: 'form-buttons' },
      h('button', { type: 'button', id: `verify-return-send-${r.id}`, class: 'danger', onclick: () => send(false) }, t('verify_return_send')),
      h('button', { type: 'button', onclick: () => {
        returnBox.hidden = true;
        retBtn.focus();
      } }, t('form_cancel'))));
  const accBtn = h('button', { type: 'button', id: `verify-accept-${r.id}`, class: 'primary', onclick: () => send(true) }, t('verify_accept'));
  const retBtn = h('button', { type: 'button', id: `verify-return-${r.id}`, onclick: () => {
    returnBox.hidden = false;
    comment.focus();
  } }, t('verify_return'));
  const box = h('div', { class: 'verify-box' }, h('div', { class: 'form-buttons' }, accBtn, retBtn), returnBox, out);
  async function send(accept) {
    err.textContent = '';
    comment.removeAttribute('aria-invalid');
    const c = comment.value.trim();
    if (!accept && !c) {
      err.textContent = t('verify_comment_needed');
      comment.setAttribute('aria-invalid', 'true');
      comment.focus();
      return;
    }
    accBtn.disabled = retBtn.disabled = true;
    try {
      await post(`/reports/${r.id}/verify`, accept ? { verdict: 'accepted' } : { verdict: 'returned', comment: c });
      out.textContent = t(accept ? 'verify_accepted_msg' : 'verify_returned_msg', { n: r.id });
      returnBox.hidden = true;
      if (done) setTimeout(done, 600);
    } catch (e) {
      out.textContent = planError(e) + (e.message ? ` (${e.message})` : '');
      accBtn.disabled = retBtn.disabled = false;
    }
  }
  return box;
}

/* ---- the report form ---- */

function reportForm({ task, plan, today, myAgency, names, reports }) {
  const leads = (task.lead || []).filter((a) => a.code);
  const agency = leads.some((a) => a.code === myAgency) ? myAgency : leads.length ? leads[0].code : null;
  /* a returned report of this agency not corrected yet: this form corrects it */
  const returned = reports.filter((r) => r.agency === agency && r.verdict === 'returned' && !reports.some((x) => x.corrects === r.id)).pop();
  const periods = reportPeriods(plan, today);
  /* a quarterly duty is reported by quarter; anything else by month */
  const recurQuarter = task.due && task.due.kind === 'recurring' && /qu[ýy]/i.test(task.due.text || '');
  const curPeriod = returned ? returned.period
    : (recurQuarter ? periods.find((p) => p.includes('-Q')) : periods.find((p) => !p.includes('-Q'))) || periods[0];
  if (returned && !periods.includes(returned.period)) periods.unshift(returned.period);

  const c = {};
  c.period = h('select', { id: 'rp-period', name: 'period' }, periods.map((p) => h('option', { value: p, selected: p === curPeriod }, periodLabel(p))));
  const stateRadio = (v) => h('label', { class: 'radio' },
    h('input', { type: 'radio', name: 'state', value: v, id: 'rp-state-' + v, checked: (returned ? returned.state : 'progress') === v }), ' ', t('rstate_' + v));
  const states = h('div', { class: 'radios', id: 'rp-state', role: 'radiogroup', 'aria-labelledby': 'rp-state-l', tabindex: '-1' },
    stateRadio('progress'), stateRadio('done'), stateRadio('waiting'));
  c.state = states;
  c.progress = h('input', { id: 'rp-progress', name: 'progress', type: 'number', min: '0', max: '100', step: '1', inputmode: 'numeric',
    class: 'num-input', value: returned ? String(returned.progress) : task.progress < 100 ? String(Math.round(task.progress || 0)) : '' });
  const doneOn = dateInput({ id: 'rp-done-on', name: 'done_on' }, returned && returned.done_on ? returned.done_on : '');
  c.done_on = doneOn.input;
  const area = (k) => {
    c[k] = h('textarea', { id: 'rp-' + k.replace('_', '-'), name: k, rows: '3', lang: 'vi' });
    c[k].value = (returned && returned[k]) || '';
    return c[k];
  };
  c.evidence = h('input', { id: 'rp-evidence', name: 'evidence', type: 'text', autocomplete: 'off', spellcheck: 'false',
    value: returned ? (returned.evidence || []).join(' ') : '', 'aria-describedby': 'rp-evidence-hint' });
  /* files sent first (POST /evidence, for this agency), then cited as file:N */
  c.files = h('input', { id: 'rp-files', name: 'files', type: 'file', multiple: true, 'aria-describedby': 'rp-files-hint' });
  const E = formErrors('report-form', c);
  const doneRow = h('div', { class: 'form-row', id: 'rp-done-on-row', hidden: (returned ? returned.state : 'progress') !== 'done' },
    h('label', { for: 'rp-done-on' }, t('rp_done_on'), ' ', h('span', { class: 'req' }, `(${dateFormatHint()})`)), doneOn,
    h('p', { class: 'form-hint' }, t('rp_done_on_hint', { d: fmtDate(today) })), E.line('done_on'));
  states.addEventListener('change', () => {
    const v = states.querySelector('input:checked').value;
    doneRow.hidden = v !== 'done';
    if (v === 'done') c.progress.value = '100';
    else if (c.progress.value === '100') c.progress.value = '';
  });

  const submit = h('button', { type: 'submit', id: 'rp-submit' }, returned ? t('rp_submit_fix') : t('rp_submit'));
  const form = h('form', { class: 'desc-form report-form', id: 'report-form', novalidate: true, 'aria-labelledby': 'report-form-h' },
    h('h2', { id: 'report-form-h' }, returned ? t('rp_title_fix', { n: returned.id }) : t('rp_title')),
    h('p', { class: 'form-hint' }, t('rp_for', { a: agencyLabel(names, agency) })),
    returned ? h('div', { class: 'returned-box', id: 'returned-box' },
      h('p', null, h('strong', null, t('rp_returned', { n: returned.id, u: byLabel(returned.verdict_by), d: fmtDate(returned.verdict_at) }))),
      h('p', { class: 'verdict-comment' }, returned.verdict_comment || t('none'))) : null,
    h('div', { class: 'form-row' }, h('label', { for: 'rp-period' }, t('rp_period')), c.period,
      h('p', { class: 'form-hint' }, t('rp_period_hint', { d: fmtDate(today) })), E.line('period')),
    h('fieldset', { class: 'form-row' }, h('legend', { id: 'rp-state-l' }, t('rp_state')), states, E.line('state')),
    h('div', { class: 'form-row' }, h('label', { for: 'rp-progress' }, t('rp_progress')), c.progress, E.line('progress')),
    doneRow,
    h('div', { class: 'form-row' }, h('label', { for: 'rp-results' }, t('rp_results')), area('results'), E.line('results')),
    h('div', { class: 'form-row' }, h('label', { for: 'rp-difficulties' }, t('rp_difficulties')), area('difficulties'), E.line('difficulties')),
    h('div', { class: 'form-row' }, h('label', { for: 'rp-proposals' }, t('rp_proposals')), area('proposals'), E.line('proposals')),
    h('div', { class: 'form-row' }, h('label', { for: 'rp-evidence' }, t('rp_evidence')), c.evidence,
      h('p', { class: 'form-hint', id: 'rp-evidence-hint' }, t('rp_evidence_hint')), E.line('evidence'),
      evidencePicker(c.evidence)),
    h('div', { class: 'form-row' }, h('label', { for: 'rp-files' }, t('rp_files_field')), c.files,
      h('p', { class: 'form-hint', id: 'rp-files-hint' }, t('rp_files_hint')), E.line('files')),
    h('div', { class: 'form-buttons' }, submit),
    E.msg);

  form.correcting = !!returned;
  form.agency = agency;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    E.clearAll();
    const state = states.querySelector('input:checked').value;
    const body = { period: c.period.value, state };
    if (agency) body.agency = agency;
    const pv = c.progress.value.trim();
    if (pv !== '') body.progress = /^-?\d+$/.test(pv) ? Number(pv) : pv;
    if (state === 'done') {
      const d = doneOn.iso();
      if (d === null) {
        E.show('done_on', t('date_invalid', { v: doneOn.input.value, f: dateFormatHint() }));
        return;
      }
      if (d) body.done_on = d;
    }
    for (const k of ['results', 'difficulties', 'proposals']) if (c[k].value.trim()) body[k] = c[k].value.trim();
    if (c.evidence.value.trim()) body.evidence = c.evidence.value.trim();
    if (returned) body.corrects = returned.id;
    submit.disabled = true;
    const refs = [];
    for (const f of c.files.files) {
      if (f.size > 20 * 1024 * 1024) {
        E.show('files', t('rp_file_big', { f: f.name }));
        submit.disabled = false;
        return;
      }
      try {
        refs.push((await upload('/evidence' + buildQuery({ name: f.name, agency: agency || undefined }), f)).ref);
      } catch (err) {
        E.show('files', `${f.name}: ${err.message}`);
        submit.disabled = false;
        return;
      }
    }
    if (refs.length) body.evidence = [body.evidence, ...refs].filter(Boolean).join(' ');
    try {
      const r = await post(`/tasks/${task.id}/reports`, body);
      const { setFlash, render } = await import('../app.js');
      setFlash(t('rp_sent', { n: r.id, p: periodLabel(body.period), a: agencyLabel(names, plan.compiler) }));
      render();
    } catch (err) {
      E.show(err);
      submit.disabled = false;
    }
  });
  return form;
}

/* Find a record of the archive to cite as evidence: its id joins the field. */
function evidencePicker(field) {
  const q = h('input', { id: 'rp-ev-q', type: 'search', autocomplete: 'off', placeholder: t('rp_ev_search_ph') });
  const out = h('ul', { class: 'ev-results', id: 'rp-ev-results', 'aria-live': 'polite' });
  const find = async () => {
    const words = q.value.trim();
    if (!words) return;
    clear(out).append(h('li', { class: 'loading' }, t('loading')));
    try {
      const r = await get('/search' + buildQuery({ q: words, limit: 5 }));
      const items = r.items || r.results || [];
      clear(out).append(...(items.length ? items.map((d) => h('li', null,
        h('button', { type: 'button', class: 'link-like', onclick: () => {
          const ids = field.value.split(/[\s,]+/).filter(Boolean);
          if (!ids.includes(d.id)) ids.push(d.id);
          field.value = ids.join(' ');
        } }, t('rp_ev_add')), ' ', h('a', { href: '#/doc/' + enc(d.id), target: '_blank' }, d.subject || d.id), ' ',
        h('span', { class: 'muted' }, `(${d.id})`))) : [h('li', { class: 'muted' }, t('results_none'))]));
    } catch (e) {
      clear(out).append(h('li', { class: 'error' }, t('error', { m: e.message })));
    }
  };
  q.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      find();
    }
  });
  return h('details', { class: 'ev-picker' }, h('summary', null, t('rp_ev_find')),
    h('div', { class: 'inline-form' }, h('label', { for: 'rp-ev-q', class: 'visually-hidden' }, t('rp_ev_find')), q,
      h('button', { type: 'button', onclick: find }, t('search_button'))), out);
}
