/** One line saying what the last action did, announced to screen readers too. */
export function flash(message, isError = false) {
  const el = document.getElementById('flash');
  el.textContent = message;
  el.className = isError ? 'error' : 'ok';
  clearTimeout(flash.timer);
  flash.timer = setTimeout(() => (el.textContent = ''), isError ? 15_000 : 5_000);
}
