// The login form: POST /api/v1/login; the answer's CSRF token is kept for later changes.
import { t } from '../i18n.js';
import { h } from '../util.js';
import { login } from '../api.js';

export async function loginView({ go, query }) {
  const msg = h('p', { id: 'login-error', class: 'error', role: 'alert', hidden: true });
  const user = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const pass = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const btn = h('button', { type: 'submit', id: 'login-submit' }, t('login'));
  const form = h('form', { class: 'login-form', onsubmit: async (e) => {
    e.preventDefault();
    btn.disabled = true;
    msg.hidden = true;
    try {
      const u = await login(user.value.trim(), pass.value);
      const { setFlash } = await import('../app.js');
      setFlash(t('login_ok', { user: u.username }));
      /* Back where the user was; only an in-app route, never another site. */
      go(/^#\/[^/]/.test(query.next || '') ? query.next : '#/search');
    } catch (err) {
      msg.textContent = err.status === 429 ? t('login_throttled', { s: err.retryAfter || '…' })
        : err.status === 401 ? t('login_failed') : t('error', { m: err.message });
      msg.hidden = false;
      pass.value = '';
      pass.focus();
    } finally {
      btn.disabled = false;
    }
  } },
  h('div', { class: 'field' }, h('label', { for: 'username' }, t('username')), user),
  h('div', { class: 'field' }, h('label', { for: 'password' }, t('password')), pass),
  msg,
  btn);
  return h('div', { class: 'login-page' }, h('h1', null, t('login_title')), h('p', { class: 'lead' }, t('login_help')), form);
}
