// The web interface's shell: one page that routes on location.pathname and
// search, so every view has its own URL, links can be shared and the back
// button works. Views live in view-*.js and are loaded when first needed.

import { session } from './api.js';
import { h, replace } from './dom.js';
import { ROLES } from './vi.js';
import { errorBox } from './ui.js';

const main = document.getElementById('main');
const APP = 'Mã định danh điện tử';

const routes = [
  { re: /^\/(?:search)?$/, section: 'search', load: () => import('./view-search.js') },
  { re: /^\/tree$/, section: 'tree', load: () => import('./view-tree.js') },
  { re: /^\/units\/([^/]+)$/, section: 'search', load: () => import('./view-unit.js') },
  { re: /^\/compliance$/, section: 'compliance', load: () => import('./view-compliance.js') },
  { re: /^\/manage$/, section: 'manage', load: () => import('./view-manage.js') },
  { re: /^\/operations$/, section: 'admin', load: () => import('./view-operations.js') },
  { re: /^\/admin$/, section: 'admin', load: () => import('./view-admin.js') },
  { re: /^\/requests$/, section: 'requests', load: () => import('./view-requests.js') },
  { re: /^\/requests\/(\d+)$/, section: 'requests', load: () => import('./view-request.js') },
  { re: /^\/documents\/([^/]+)$/, section: 'stats', load: () => import('./view-document.js') },
  { re: /^\/stats$/, section: 'stats', load: () => import('./view-stats.js') },
  { re: /^\/transitions(?:\/(\d+))?$/, section: 'transitions', load: () => import('./view-transitions.js') },
];

let current = null; // {controller, view}
let first = true;

export function go(url, { replace: rep = false } = {}) {
  if (rep) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  route();
}

async function route() {
  const url = new URL(location.href);
  if (current) current.controller.abort();
  const controller = new AbortController();
  const view = h('div', { class: 'view', 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Đang tải…'));
  current = { controller, view };
  replace(main, view);
  const r = routes.find((x) => x.re.test(url.pathname));
  for (const a of document.querySelectorAll('nav a[data-section]')) {
    if (r && a.dataset.section === r.section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const moveFocus = !first;
  first = false;
  const ctx = {
    url,
    params: url.searchParams,
    match: r ? url.pathname.match(r.re) : null,
    signal: controller.signal,
    go,
    title: (t) => {
      document.title = t ? `${t} · ${APP}` : APP;
    },
  };
  try {
    if (!r) {
      ctx.title('Không tìm thấy trang');
      replace(
        view,
        h('h1', { tabindex: '-1' }, 'Không tìm thấy trang'),
        h('p', {}, 'Địa chỉ này không có trong giao diện. ', h('a', { href: '/' }, 'Về trang tra cứu')),
      );
    } else {
      const mod = await r.load();
      await mod.render(view, ctx);
    }
  } catch (e) {
    if (e.name === 'AbortError') return;
    console.error(e);
    replace(view, h('h1', { tabindex: '-1' }, 'Không hiển thị được trang'), errorBox(e));
  } finally {
    view.removeAttribute('aria-busy');
  }
  if (moveFocus && current && current.view === view && !controller.signal.aborted) {
    // Screen readers start from the new view's heading, as after a page load.
    const h1 = view.querySelector('h1');
    if (h1 && !view.contains(document.activeElement)) {
      h1.setAttribute('tabindex', '-1');
      h1.focus({ preventScroll: true });
    }
    window.scrollTo(0, 0);
  }
}

// Same-origin links route in the page; API links and new-tab clicks do not.
document.addEventListener('click', (ev) => {
  if (ev.defaultPrevented || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return;
  const a = ev.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download') || a.hasAttribute('data-native')) return;
  if (a.origin !== location.origin || /^\/(v1|vxp|dmdc|assets|vendor)\//.test(a.pathname)) return;
  if (a.getAttribute('href').startsWith('#')) return;
  ev.preventDefault();
  go(a.pathname + a.search + a.hash);
});

window.addEventListener('popstate', route);

// The skip link moves focus itself, so the next Tab starts inside the content.
document.querySelector('.skip')?.addEventListener('click', (ev) => {
  ev.preventDefault();
  main.focus();
});

async function showWho() {
  const box = document.getElementById('who');
  let me = null;
  try {
    me = await session.me();
  } catch {
    me = null;
  }
  if (!me) {
    replace(box, h('a', { href: '/manage', class: 'signin-link' }, 'Đăng nhập'));
    return;
  }
  replace(
    box,
    h(
      'span',
      { class: 'who-name' },
      h('span', { class: 'visually-hidden' }, 'Đang đăng nhập: '),
      me.name || ROLES[me.role] || me.role,
      h('small', {}, ROLES[me.role] || me.role, me.scope ? ` · ${me.scope}` : ''),
    ),
    h(
      'button',
      {
        type: 'button',
        class: 'link-button',
        onclick: () => {
          session.signOut();
          go(location.pathname + location.search, { replace: true });
        },
      },
      'Đăng xuất',
    ),
  );
}

/**
 * Keeps the window's load event from firing until the first view has drawn,
 * so whatever reads the page at load (chromium --headless --dump-dom, a
 * crawler, a print) sees the results rather than "Đang tải…". An image in
 * flight delays the load event; each one that finishes while the view is
 * still drawing starts the next. Ten seconds at most.
 */
function holdLoad(promise) {
  let done = false;
  promise.finally(() => {
    done = true;
  });
  const until = Date.now() + 10000;
  const box = h('div', { hidden: true, 'aria-hidden': 'true' });
  document.body.append(box);
  let n = 0;
  const next = () => {
    if (done || Date.now() > until) {
      box.remove();
      return;
    }
    const img = new Image();
    img.alt = '';
    img.onload = img.onerror = () => {
      img.remove();
      next();
    };
    img.src = `data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==#${n++}`;
    box.append(img);
  };
  next();
}

session.onChange(showWho);
holdLoad(Promise.all([showWho(), route()]));
