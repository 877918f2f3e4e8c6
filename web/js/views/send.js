// "Send to another unit": the action on a document and on a dossier for the staff who may send
// (archivist, officer, admin). The recipient is chosen from the exchange directory's units
// (GET /exchange/peers); POST /exchange/send puts one signed message in the outbox, and the
// message's delivery state (GET /exchange/messages/{id}) is followed until the recipient's receipt.
import { t, fmtTime } from '../i18n.js';
import { h, clear } from '../util.js';
import { get, post, enc, session } from '../api.js';

export const SEND_ROLES = ['archivist', 'officer', 'admin'];

export function maySend() {
  return !!(session.user && SEND_ROLES.includes(session.user.role));
}

const POLL_MS = 1000;
const POLL_MAX = 300; /* five minutes; the Exchange page follows it after that */

export function peerLabel(p) {
  return p.name ? `${p.name} (${p.unit})` : p.unit;
}

/* A delivery error is the library's or curl's words (English, technical): its gist in the
   user's language, or null when there is none to give. */
export function errorGist(msg) {
  if (!msg) return null;
  if (/connect|resolve host|refused/i.test(msg)) return t('x_err_unreachable');
  if (/timed? ?out/i.test(msg)) return t('x_err_timeout');
  if (/HTTP [45]\d\d/.test(msg)) return t('x_err_refused');
  return null;
}

/* The API's refusal as a sentence for the user; the server's own words follow as detail. */
export function sendError(e) {
  const m = e.message || '';
  if (e.status === 401 || (e.status === 403 && /may use this|role/i.test(m))) return t('send_err_role');
  if (e.status === 403 && /restricted/.test(m)) return t('send_err_restricted');
  if (e.status === 403 && /does not hold/.test(m)) return t('send_err_scope');
  if (e.status === 404) return t('send_err_notfound');
  if (e.status === 400 && /^"?to"?[: ]/.test(m)) return t('send_err_to');
  return t('send_err_other');
}

/* what: {documents: [id]} or {dossier: 'FONDS/DOSSIER'}; access: the document's level, to mark
   the units that may not hold a restricted one (the server decides in any case). */
export function sendPanel(what, access) {
  const isDossier = !!what.dossier;
  const status = h('div', { class: 'send-status', id: 'send-status', role: 'status', 'aria-live': 'polite' });
  const box = h('section', { class: 'send-box', id: 'send-box', 'aria-labelledby': 'send-h' });
  const open = h('button', { type: 'button', id: 'send-open', class: 'send-open',
    'aria-expanded': 'false', 'aria-controls': 'send-form-wrap' },
  isDossier ? t('send_dossier_button') : t('send_button'));
  const wrap = h('div', { id: 'send-form-wrap', hidden: true });
  let loaded = false;

  open.addEventListener('click', async () => {
    const show = wrap.hidden;
    wrap.hidden = !show;
    open.setAttribute('aria-expanded', String(show));
    if (show && !loaded) {
      loaded = true;
      await fill();
    }
    if (show) {
      const sel = wrap.querySelector('select');
      if (sel) sel.focus();
    }
  });

  async function fill() {
    clear(wrap).append(h('p', { class: 'loading' }, t('loading')));
    let peers;
    try {
      peers = (await get('/exchange/peers')).items || [];
    } catch (e) {
      clear(wrap).append(h('p', { class: 'error' }, e.status === 403 || e.status === 401 ? t('send_err_role') : t('error', { m: e.message })));
      return;
    }
    const usable = peers.filter((p) => !p.self && !p.revoked && p.may_receive);
    if (!usable.length) {
      clear(wrap).append(h('p', { class: 'muted' }, t('send_no_peers')));
      return;
    }
    const select = h('select', { id: 'send-to', name: 'to', required: true },
      h('option', { value: '' }, t('send_choose')),
      usable.map((p) => {
        const blocked = access === 'restricted' && !p.restricted;
        return h('option', { value: p.unit, disabled: blocked },
          peerLabel(p) + (blocked ? ` — ${t('send_not_restricted')}` : ''));
      }));
    const submit = h('button', { type: 'submit', id: 'send-submit' }, t('send_submit'));
    const form = h('form', { class: 'send-form', onsubmit: async (e) => {
      e.preventDefault();
      if (!select.value) {
        clear(status).append(h('p', { class: 'error' }, t('send_pick')));
        select.focus();
        return;
      }
      submit.disabled = true;
      clear(status).append(h('p', { class: 'loading' }, t('send_sending')));
      try {
        const r = await post('/exchange/send', Object.assign({ to: select.value }, what));
        const peer = usable.find((p) => p.unit === r.to);
        follow(r, peer ? peerLabel(peer) : r.to);
      } catch (err) {
        clear(status).append(h('p', { class: 'error', role: 'alert' }, sendError(err)),
          h('p', { class: 'muted send-detail' }, err.message));
      } finally {
        submit.disabled = false;
      }
    } },
    h('div', { class: 'field' }, h('label', { for: 'send-to' }, t('send_to')), select),
    submit,
    h('button', { type: 'button', onclick: () => { wrap.hidden = true; open.setAttribute('aria-expanded', 'false'); open.focus(); } }, t('send_cancel')));
    clear(wrap).append(h('p', { class: 'hint' }, isDossier ? t('send_help_dossier') : t('send_help_doc')), form);
  }

  /* The message's state, asked once a second until delivered (or the page is left). */
  function follow(r, toLabel) {
    const state = h('p', { class: 'send-state', id: 'send-state' }, t('send_state_waiting'));
    clear(status).append(
      h('p', { class: 'send-queued' }, t('send_queued', { to: toLabel, n: r.documents.length }),
        ' ', h('code', { id: 'send-msg-id' }, r.id)),
      state,
      h('p', null, h('a', { href: '#/exchange' }, t('send_follow'))));
    let n = 0;
    const tick = async () => {
      if (!state.isConnected || n++ > POLL_MAX) return;
      try {
        const m = await get('/exchange/messages/' + enc(r.id));
        if (m.state === 'delivered') {
          state.className = 'send-state delivered';
          state.textContent = '✓ ' + t('send_state_delivered', { to: toLabel });
          return;
        }
        clear(state);
        if (m.attempts > 0 && m.last_error) {
          state.append(t('send_state_retry', { n: m.attempts, e: errorGist(m.last_error) || t('x_err_other'),
            at: fmtTime(m.next_attempt) }),
          h('span', { class: 'x-detail' }, m.last_error));
        } else {
          state.append(t('send_state_waiting'));
        }
      } catch (e) {
        /* a passing error: ask again */
      }
      setTimeout(tick, POLL_MS);
    };
    setTimeout(tick, 300);
  }

  box.append(h('h2', { id: 'send-h', class: 'visually-hidden' }, t('send_title')), open, wrap, status);
  return box;
}
