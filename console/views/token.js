import { api, ApiError, setToken } from '../api.js';
import { h, render } from '../dom.js';

/** The worker requires a token: ask for it and show nothing else until it works. */
export function tokenView(container, onAccepted, rejected = false) {
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'current-password', required: true });
  const message = h('p', { class: 'error', role: 'alert' }, rejected ? 'That token was refused.' : '');
  const form = h(
    'form',
    { class: 'token' },
    h('h1', {}, 'API token'),
    h('p', {}, 'This worker requires its REST token (rest.auth.token). It is kept in this browser tab only.'),
    h('label', { for: 'token' }, 'Token'),
    input,
    message,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    setToken(input.value.trim());
    try {
      await api('GET', '../connectors');
      onAccepted();
    } catch (err) {
      setToken('');
      message.textContent = err instanceof ApiError && err.status === 401 ? 'That token was refused.' : `The worker did not answer: ${err.message}`;
      input.focus();
    }
  });
  render(container, form);
  input.focus();
}
