// The web interface's entry: the header (search box, navigation, language, login), hash routes to views.
import { t, getLang, setLang } from './i18n.js';
import { h, clear } from './util.js';
import { session, refreshMe, logout } from './api.js';
import { searchView } from './views/search.js';
import { documentView } from './views/document.js';
import { fondsListView, fondsView, dossierView } from './views/fonds.js';
import { browseView } from './views/browse.js';
import { unitsView, unitView } from './views/units.js';
import { ocrView } from './views/ocr.js';
import { exchangeView } from './views/exchange.js';
import { loginView } from './views/login.js';
import { helpView, notFoundView } from './views/help.js';
import { parseQuery } from './util.js';
import { plansView, planView } from './views/plans.js';
import { taskView } from './views/task.js';
import { queueView, inspectionView, lessonsView } from './views/plan_work.js';
import { datasetsView, datasetNewView } from './views/datasets.js';
import { datasetView } from './views/datasets_page.js';
import { opsView } from './views/ops.js';

/* Routes are in the hash (#/search?q=…) so the server needs no fallback for deep links. */
const ROUTES = [
  [/^\/?$/, searchView, 'search'],
  [/^\/search$/, searchView, 'search'],
  [/^\/doc\/([^/]+)$/, documentView, 'search'],
  [/^\/fonds$/, fondsListView, 'fonds'],
  [/^\/fonds\/([^/]+)$/, fondsView, 'fonds'],
  [/^\/fonds\/([^/]+)\/dossiers\/([^/]+)$/, dossierView, 'fonds'],
  [/^\/browse$/, browseView, 'browse'],
  [/^\/units$/, unitsView, 'units'],
  [/^\/units\/([^/]+)$/, unitView, 'units'],
  [/^\/ocr$/, ocrView, 'ocr'],
  [/^\/exchange$/, exchangeView, 'exchange'],
  [/^\/login$/, loginView, 'login'],
  [/^\/help$/, helpView, 'help'],
  [/^\/plans$/, plansView, 'plans'],
  [/^\/plans\/([^/]+)$/, planView, 'plans'],
  [/^\/plans\/([^/]+)\/tasks\/([^/]+)$/, taskView, 'plans'],
  [/^\/plans\/([^/]+)\/inspection$/, inspectionView, 'plans'],
  [/^\/reports\/queue$/, queueView, 'plans'],
  [/^\/lessons$/, lessonsView, 'plans'],
  [/^\/datasets$/, datasetsView, 'datasets'],
  [/^\/datasets\/new$/, datasetNewView, 'datasets'],
  [/^\/datasets\/([^/]+)$/, datasetView, 'datasets'],
  [/^\/ops$/, opsView, 'ops'],
];

let flash = null;

export function setFlash(msg) {
  flash = msg;
}

export function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

/* The route of the hash; an address the server answered with this page (/help, or one that
   leads nowhere: the server says 404) when there is no hash. A hash that is not a route
   ("#main", the skip link's) keeps the search page. */
function currentRoute() {
  let raw = location.hash.replace(/^#/, '');
  if (!raw && location.pathname !== '/') raw = location.pathname === '/help' ? '/help' : '/?not-found';
  if (!raw.startsWith('/')) raw = '/';
  const [path, qs] = raw.split('?', 2);
  if (qs === 'not-found' && path === '/') return { view: notFoundView, section: null, args: [], query: {} };
  for (const [re, view, section] of ROUTES) {
    const m = re.exec(path);
    if (m) return { view, section, args: m.slice(1).map(decodeURIComponent), query: parseQuery(qs) };
  }
  return { view: notFoundView, section: null, args: [], query: {} };
}

function renderHeader(route) {
  const header = clear(document.getElementById('header'));
  const nav = [
    ['search', '#/search', t('nav_search')],
    ['fonds', '#/fonds', t('nav_fonds')],
    ['browse', '#/browse', t('nav_browse')],
    ['units', '#/units', t('nav_units')],
    ['ocr', '#/ocr', t('nav_ocr')],
    ['exchange', '#/exchange', t('nav_exchange')],
    ['plans', '#/plans', t('nav_plans')],
    ['datasets', '#/datasets', t('nav_datasets')],
  ];
  /* the operations page: admins only (the server answers its figures to them alone) */
  if (session.user && session.user.role === 'admin') nav.push(['ops', '#/ops', t('nav_ops')]);
  const q = route.section === 'search' ? route.query.q || '' : '';
  const form = h(
    'form',
    { class: 'header-search', role: 'search', onsubmit: (e) => {
      e.preventDefault();
      const v = form.querySelector('input').value.trim();
      go('#/search?q=' + encodeURIComponent(v));
    } },
    h('label', { for: 'q', class: 'visually-hidden' }, t('search_label')),
    h('input', { id: 'q', name: 'q', type: 'search', value: q, placeholder: t('search_placeholder'),
      autocomplete: 'off', spellcheck: 'false' }),
    h('button', { type: 'submit' }, t('search_button')),
  );
  const u = session.user;
  const userBox = u
    ? h('div', { class: 'user' },
      h('span', { class: 'user-name', id: 'user-status' }, t('logged_in_as', { user: u.username }), ' ',
        h('span', { class: 'user-detail' }, t('user_detail', { role: t('role_' + u.role), unit: u.unit_name || u.unit_code || '' }))),
      h('button', { type: 'button', id: 'logout', class: 'link-button', onclick: async () => {
        await logout();
        setFlash(t('logged_out'));
        render();
      } }, t('logout')))
    : h('div', { class: 'user' },
      h('span', { class: 'user-name', id: 'user-status' }, t('anonymous')),
      h('a', { href: route.section === 'login' ? '#/login' : '#/login?next=' + encodeURIComponent(location.hash || '#/search'),
        id: 'login-link', class: 'button-link' }, t('login')));
  header.append(
    h('div', { class: 'header-top' },
      h('a', { href: '#/search', class: 'brand' },
        h('span', { class: 'brand-title' }, t('app_title')),
        h('span', { class: 'brand-sub' }, t('app_subtitle'))),
      h('div', { class: 'header-tools' },
        h('button', { type: 'button', id: 'lang-switch', class: 'link-button', lang: getLang() === 'vi' ? 'en' : 'vi',
          title: t('lang_switch_label'), onclick: () => {
            setLang(getLang() === 'vi' ? 'en' : 'vi');
            render();
            document.getElementById('lang-switch').focus();
          } }, t('lang_switch')),
        userBox)),
    h('div', { class: 'header-bar' },
      h('nav', { 'aria-label': t('nav_label') },
        h('ul', null, nav.map(([s, href, label]) =>
          h('li', null, h('a', { href, 'aria-current': route.section === s ? 'page' : null }, label))))),
      form),
  );
  document.getElementById('skip-link').textContent = t('skip_to_content');
  clear(document.getElementById('footer')).append(h('p', null, t('footer'), ' · ',
    h('a', { href: '#/help' }, t('help_title'))));
}

let renderSeq = 0;

export async function render(opts) {
  const seq = ++renderSeq;
  const route = currentRoute();
  document.documentElement.lang = getLang();
  renderHeader(route);
  const main = clear(document.getElementById('main'));
  if (flash) {
    main.append(h('p', { class: 'flash', role: 'status' }, flash));
    flash = null;
  }
  const holder = h('div', { class: 'view', 'aria-busy': 'true' }, h('p', { class: 'loading' }, t('loading')));
  main.append(holder);
  try {
    const content = await route.view({ args: route.args, query: route.query, go, render });
    if (seq !== renderSeq) return; /* a newer route started meanwhile */
    clear(holder).append(content);
  } catch (e) {
    if (seq !== renderSeq) return;
    clear(holder).append(h('p', { class: 'error', role: 'alert' },
      e.status === 404 ? t('not_found') : t('error', { m: e.message }),
      e.status >= 500 && e.requestId ? h('span', { class: 'request-id' }, ' ', t('request_id', { id: e.requestId })) : null));
  }
  holder.removeAttribute('aria-busy');
  const h1 = holder.querySelector('h1');
  if (h1) document.title = h1.textContent + ' — ' + t('app_title');
  if (!(opts && opts.keepFocus) && h1 && document.activeElement === document.body) {
    h1.setAttribute('tabindex', '-1');
    h1.focus({ preventScroll: true });
  }
}

window.addEventListener('hashchange', () => {
  window.scrollTo(0, 0);
  render();
});

setLang(getLang());
/* On arrival the focus stays at the top of the page (Tab reaches the skip link first); a move to
   another page puts it on that page's heading. */
refreshMe().then(() => render({ keepFocus: true }));
