// The Exchange page ("Liên thông"): per unit of the directory, the messages waiting, the oldest
// waiting, the last success and the last error (GET /exchange/status); the refused messages with
// their reasons; the outbox (GET /exchange/outbox); the reference-data feeds from the province
// (the `feeds` member of the status: a commune's position in the hub's feed, the hub's last
// entry, the last pull and its error; on the hub, what it publishes). Refreshed every few
// seconds in place.
import { t, fmtTime, fmtAge, fmtNum } from '../i18n.js';
import { h, clear } from '../util.js';
import { get, enc, session } from '../api.js';
import { table } from './common.js';
import { errorGist } from './send.js';

const REFRESH_S = 5;
/* Who may read the outbox (the status: inspector, archivist, admin; the server decides). */
const READ_ROLES = ['inspector', 'archivist', 'officer', 'admin'];
/* Auto-refresh survives a re-render (language switch) of the page. */
const state = { paused: false };

function label(prefix, word) {
  const k = t(prefix + word);
  return k === prefix + word ? word : k;
}

/* The last error: its gist in the user's language first, the library's words after. */
function errorCell(msg, at, gistOf = errorGist) {
  if (!msg) return h('span', { class: 'muted' }, t('x_ok'));
  const gist = gistOf(msg);
  return h('div', { class: 'x-error' },
    h('span', { class: 'warn-text' }, gist || msg),
    at ? h('span', { class: 'muted x-when' }, ' · ', when(at)) : null,
    gist ? h('div', { class: 'x-detail' }, msg) : null);
}

function when(iso) {
  return h('span', { class: 'nowrap' }, fmtTime(iso));
}

function since(iso, now) {
  if (!iso) return h('span', { class: 'muted' }, t('none'));
  return h('span', null, when(iso), h('span', { class: 'muted' }, ' (', t('x_ago', { d: fmtAge(now - Date.parse(iso)) }), ')'));
}

function peerCell(p, dir) {
  const d = dir.get(p.peer);
  return h('div', null,
    h('a', { href: '#/units/' + enc(p.peer) }, d && d.name ? `${d.name} (${p.peer})` : p.peer),
    d && d.self ? h('span', { class: 'badge x-badge' }, t('x_self')) : null,
    d && d.restricted ? h('span', { class: 'badge access-restricted x-badge' }, t('x_restricted_ok')) : null,
    d && d.revoked ? h('span', { class: 'badge access-secret x-badge' }, t('x_revoked')) : null);
}

function statusTable(st, dir, now) {
  const peers = st.peers || [];
  return table([
    [t('x_col_peer'), (p) => peerCell(p, dir)],
    [t('x_col_waiting'), (p) => h('span', { class: 'num' + (p.waiting > 0 ? ' warn-text' : '') }, fmtNum(p.waiting))],
    [t('x_col_oldest'), (p) => since(p.oldest_waiting, now)],
    [t('x_col_held'), (p) => (p.held > 0 ? h('span', { class: 'warn-text', title: t('x_held_hint') }, fmtNum(p.held)) : fmtNum(p.held))],
    [t('x_col_success'), (p) => (p.last_success ? since(p.last_success, now) : h('span', { class: 'muted' }, t('x_never')))],
    [t('x_col_error'), (p) => errorCell(p.last_error, p.last_error_at)],
  ], peers);
}

function rejectedTable(rows, dir) {
  return table([
    [t('x_col_at'), (x) => when(x.at)],
    [t('x_col_sender'), (x) => {
      const d = x.sender && dir.get(x.sender);
      return x.sender ? (d && d.name ? `${d.name} (${x.sender})` : x.sender) : t('none');
    }],
    [t('x_col_reason'), (x) => h('span', { class: 'warn-text' }, label('reason_', x.reason || ''))],
    [t('x_col_detail'), (x) => h('span', { class: 'x-detail' }, x.detail || '')],
    [t('x_col_msg'), (x) => (x.id ? h('code', { class: 'x-id' }, x.id) : t('none'))],
  ], rows);
}

function outboxTable(rows, dir, now) {
  return table([
    [t('x_col_msg'), (m) => h('code', { class: 'x-id' }, m.id)],
    [t('x_col_to'), (m) => {
      const d = dir.get(m.to);
      return d && d.name ? `${d.name} (${m.to})` : m.to;
    }],
    [t('x_col_type'), (m) => label('type_', m.type)],
    [t('x_col_seq'), (m) => fmtNum(m.seq)],
    [t('x_col_created'), (m) => since(m.created, now)],
    [t('x_col_attempts'), (m) => fmtNum(m.attempts)],
    [t('x_col_next'), (m) => (m.attempts > 0 ? when(m.next_attempt) : t('none'))],
    [t('x_col_error'), (m) => errorCell(m.last_error, null)],
  ], rows);
}

/* A feed's last error (src/lib/feed: "entry N: REASON: …", "GET URL: curl's words", …) as a
   sentence for the user; null when it is none of these (the words are then shown alone). */
function feedErrorGist(msg) {
  const m = /^entry (\d+): ([a-z-]+)/.exec(msg);
  if (m) {
    const n = fmtNum(Number(m[1]));
    const why = m[2] === 'file' ? 'files' : m[2];
    const k = 'xf_err_' + why;
    return t(t(k) === k ? 'xf_err_entry' : k, { n });
  }
  if (/^GET /.test(msg)) {
    if (/connect|resolve host|refused/i.test(msg)) return t('xf_err_unreachable');
    if (/timed? ?out/i.test(msg)) return t('xf_err_timeout');
    if (/HTTP [45]\d\d/.test(msg)) return t('xf_err_http');
    return t('xf_err_answer');
  }
  if (/no node with the trusted hub key|no hub is trusted/.test(msg)) return t('xf_err_nohub');
  return null;
}

/* A feed's name as the archivist knows it: units → "Đơn vị hành chính". */
function feedName(f) {
  return h('span', null, h('strong', null, label('xf_name_', f.feed)), h('span', { class: 'muted' }, ' (', f.feed, ')'));
}

/* Where a commune stands: "entry N of M" (M the hub's last entry at the last pull). */
function feedPosition(f) {
  if (!f.seq && !f.last_pull) return h('span', { class: 'muted xf-pos' }, t('xf_nothing_yet'));
  if (f.hub_seq === null || f.hub_seq === undefined) return h('span', { class: 'xf-pos' }, t('xf_pos_unknown', { n: fmtNum(f.seq) }));
  return h('span', { class: 'xf-pos' }, t('xf_pos', { n: fmtNum(f.seq), m: fmtNum(f.hub_seq) }));
}

/* Up to date, behind by K entries, or not known (the hub never answered). The hub's count is
   the one of the last pull that reached it: after a failed pull, said so. */
function feedState(f) {
  if (f.hub_seq === null || f.hub_seq === undefined) {
    return f.last_pull || f.last_error ? h('span', { class: 'warn-text xf-state' }, t('xf_state_unknown'))
      : h('span', { class: 'muted xf-state' }, t('xf_state_never'));
  }
  const k = f.hub_seq - f.seq;
  const asOf = f.last_error ? h('span', { class: 'x-detail' }, t('xf_state_as_of')) : null;
  if (k > 0) return h('span', { class: 'warn-text xf-state' }, t(k === 1 ? 'xf_state_behind_1' : 'xf_state_behind', { k: fmtNum(k) }), asOf);
  return h('span', { class: 'xf-state xf-ok' }, t('xf_state_ok'), asOf);
}

function feedsTable(feeds, now) {
  const never = () => h('span', { class: 'muted' }, t('x_never'));
  return table([
    [t('xf_col_feed'), feedName],
    [t('xf_col_pos'), feedPosition],
    [t('xf_col_state'), feedState],
    [t('xf_col_pull'), (f) => (f.last_pull ? since(f.last_pull, now) : never())],
    [t('xf_col_applied'), (f) => (f.last_applied ? since(f.last_applied, now) : never())],
    [t('x_col_error'), (f) => errorCell(f.last_error, f.last_error_at, feedErrorGist)],
  ], feeds);
}

/* On the hub: what it publishes, the last entry and its SHA-256 (what a commune's audit names). */
function hubFeedsTable(feeds) {
  return table([
    [t('xf_col_feed'), feedName],
    [t('xf_col_published'), (f) => h('span', { class: 'xf-pos' }, t(f.seq === 1 ? 'xf_published_1' : 'xf_published', { n: fmtNum(f.seq) }))],
    [t('xf_col_sha'), (f) => (f.sha256 ? h('code', { class: 'x-id', title: f.sha256 }, f.sha256.slice(0, 16) + '…') : t('none'))],
  ], feeds);
}

export async function exchangeView() {
  const root = h('div', { class: 'exchange' },
    h('h1', null, t('x_title')),
    h('p', { class: 'lead' }, t('x_intro')));
  /* A guest: one sentence and the way in, nothing to refresh. */
  if (!session.user) {
    root.append(h('p', { id: 'x-login' }, t('x_login'), ' ',
      h('a', { href: '#/login?next=' + encodeURIComponent('#/exchange') }, t('login'))));
    return root;
  }
  if (!READ_ROLES.includes(session.user.role)) {
    root.append(h('p', { id: 'x-forbidden', class: 'muted' }, t('x_role_forbidden')));
    return root;
  }
  const node = h('p', { class: 'x-node', id: 'x-node' });
  const stamp = h('span', { id: 'x-updated', 'aria-live': 'off' });
  const pause = h('button', { type: 'button', id: 'x-pause', 'aria-pressed': String(state.paused) });
  const now = h('button', { type: 'button', id: 'x-refresh' }, t('x_refresh'));
  const status = h('section', { id: 'x-status', 'aria-labelledby': 'x-status-h' }, h('h2', { id: 'x-status-h' }, t('x_status_h')));
  const feeds = h('section', { id: 'x-feeds', 'aria-labelledby': 'x-feeds-h' }, h('h2', { id: 'x-feeds-h' }, t('xf_h')));
  const rejected = h('section', { id: 'x-rejected', 'aria-labelledby': 'x-rejected-h' }, h('h2', { id: 'x-rejected-h' }, t('x_rejected_h')));
  const outbox = h('section', { id: 'x-outbox', 'aria-labelledby': 'x-outbox-h' }, h('h2', { id: 'x-outbox-h' }, t('x_outbox_h')));
  root.append(node, h('p', { class: 'x-refresh muted' }, stamp, ' · ', h('span', { id: 'x-auto' }), ' ', pause, ' ', now),
    status, feeds, rejected, outbox);

  const pauseLabel = () => {
    pause.textContent = state.paused ? t('x_resume') : t('x_pause');
    pause.setAttribute('aria-pressed', String(state.paused));
    root.querySelector('#x-auto').textContent = state.paused ? '' : t('x_auto', { s: REFRESH_S });
  };

  /* One round: every section is rebuilt from fresh answers; a section whose call fails says why
     and the others still show. */
  async function load() {
    const [st, ob, dirR] = await Promise.allSettled([
      get('/exchange/status?limit=50'), get('/exchange/outbox'), get('/exchange/peers')]);
    const dir = new Map();
    if (dirR.status === 'fulfilled') for (const p of dirR.value.items || []) dir.set(p.unit, p);
    const t0 = Date.now();
    const fail = (r, el, after) => {
      const e = r.reason;
      clear(el).append(after, h('p', { class: e.status === 401 || e.status === 403 ? 'muted' : 'error' },
        e.status === 401 ? t('x_login') : e.status === 403 ? t('x_status_forbidden') : t('error', { m: e.message })));
    };
    const nodeUnit = (st.status === 'fulfilled' && st.value.node) || (dirR.status === 'fulfilled' && dirR.value.node);
    clear(node);
    if (nodeUnit) {
      const d = dir.get(nodeUnit);
      node.append(t('x_this_node'), ': ', h('strong', null, d && d.name ? `${d.name} (${nodeUnit})` : nodeUnit));
    } else if (st.status === 'fulfilled' || dirR.status === 'fulfilled') {
      node.append(h('span', { class: 'warn-text' }, t('x_no_identity')));
    }
    const sh = status.firstChild;
    const rh = rejected.firstChild;
    const oh = outbox.firstChild;
    const fh = feeds.firstChild;
    if (st.status === 'fulfilled') {
      clear(status).append(sh, (st.value.peers || []).length ? statusTable(st.value, dir, t0)
        : h('p', { class: 'muted', id: 'x-peers-none' }, t('x_peers_none')));
      /* An older server has no `feeds`: the section is left out rather than shown empty. */
      const fl = st.value.feeds;
      clear(feeds).append(fh);
      if (Array.isArray(fl)) {
        /* A node is the hub of the feeds it publishes, a commune of the others. */
        const hub = fl.filter((f) => f.role === 'hub');
        const pulled = fl.filter((f) => f.role !== 'hub');
        if (hub.length) feeds.append(h('p', { class: 'muted xf-intro' }, t('xf_intro_hub')), hubFeedsTable(hub));
        if (pulled.length) feeds.append(h('p', { class: 'muted xf-intro' }, t('xf_intro_commune')), feedsTable(pulled, t0));
        if (!fl.length) feeds.append(h('p', { class: 'muted' }, t('xf_none')));
      }
      feeds.hidden = !Array.isArray(fl);
      const rows = st.value.rejected || [];
      clear(rejected).append(rh, rows.length ? rejectedTable(rows, dir) : h('p', { class: 'muted' }, t('x_rejected_none')));
      rejected.hidden = false;
    } else {
      fail(st, status, sh);
      clear(feeds).append(fh);
      feeds.hidden = true;
      clear(rejected).append(rh);
      rejected.hidden = true;
    }
    if (ob.status === 'fulfilled') {
      const rows = ob.value.items || [];
      clear(outbox).append(oh, rows.length ? outboxTable(rows, dir, t0) : h('p', { class: 'muted', id: 'x-outbox-empty' }, t('x_outbox_none')));
    } else {
      fail(ob, outbox, oh);
    }
    stamp.textContent = t('x_updated', { t: fmtTime(new Date(t0).toISOString()) });
  }

  let timer = null;
  const schedule = () => {
    clearTimeout(timer);
    if (state.paused) return;
    timer = setTimeout(async () => {
      if (!root.isConnected) return; /* the user left the page */
      try {
        await load();
      } catch (e) {
        /* shown by the next round */
      }
      schedule();
    }, REFRESH_S * 1000);
  };
  pause.addEventListener('click', () => {
    state.paused = !state.paused;
    pauseLabel();
    schedule();
  });
  now.addEventListener('click', async () => {
    await load();
    schedule();
  });
  pauseLabel();
  await load();
  schedule();
  return root;
}
