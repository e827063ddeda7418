import { api, ApiError, setToken, token } from './api.js';
import { h, render } from './dom.js';
import { connectorView } from './views/connector.js';
import { editor } from './views/editor.js';
import { overview } from './views/overview.js';
import { tokenView } from './views/token.js';

const main = document.getElementById('app');
const nav = document.getElementById('nav');
const signOut = document.getElementById('sign-out');
let leave;
let locked = false;

/** Hash routes: #/ the overview, #/new, #/connectors/<name>, #/connectors/<name>/edit. */
function route() {
  if (locked) return;
  leave?.();
  leave = undefined;
  const path = location.hash.replace(/^#/, '') || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  for (const a of nav.querySelectorAll('a')) a.removeAttribute('aria-current');
  if (parts.length === 0) {
    nav.querySelector('a[href="#/"]').setAttribute('aria-current', 'page');
    leave = overview(main);
  } else if (parts[0] === 'new') {
    nav.querySelector('a[href="#/new"]').setAttribute('aria-current', 'page');
    void editor(main);
  } else if (parts[0] === 'connectors' && parts.length === 2) leave = connectorView(main, parts[1]);
  else if (parts[0] === 'connectors' && parts[2] === 'edit') void editor(main, parts[1]);
  else render(main, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'Back to the connectors')));
}

/** Without a valid token nothing but the token form is shown. */
function lock(rejected) {
  locked = true;
  leave?.();
  leave = undefined;
  nav.hidden = true;
  tokenView(main, unlock, rejected);
}

function unlock() {
  locked = false;
  nav.hidden = false;
  signOut.hidden = !token();
  route();
  main.focus();
}

signOut.addEventListener('click', () => {
  setToken('');
  lock(false);
});
window.addEventListener('hashchange', route);
window.addEventListener('conflux:unauthorized', () => {
  if (!locked) lock(Boolean(token()));
});

try {
  await api('GET', '../connectors');
  unlock();
} catch (err) {
  if (err instanceof ApiError && err.status === 401) lock(Boolean(token()));
  else {
    unlock();
  }
}
