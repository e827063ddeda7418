/**
 * DOM building without innerHTML: every value from the API becomes text, never markup, so a
 * connector name or a dead-lettered record cannot inject anything (the page's CSP forbids inline
 * scripts as a second line).
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttributes(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttributes(el, attrs);
  append(el, children);
  return el;
}

function setAttributes(el, attrs) {
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.setAttribute('class', v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces a container's content, keeping the focus on the element with the same data-key. */
export function render(container, ...children) {
  const focused = document.activeElement?.closest?.('[data-key]')?.getAttribute('data-key');
  const open = new Set([...container.querySelectorAll('details[open][data-key]')].map((d) => d.getAttribute('data-key')));
  container.replaceChildren();
  append(container, children);
  for (const d of container.querySelectorAll('details[data-key]')) if (open.has(d.getAttribute('data-key'))) d.open = true;
  if (focused) container.querySelector(`[data-key="${CSS.escape(focused)}"]`)?.focus();
}

export function formatNumber(n, digits = 0) {
  if (n === undefined || n === null || Number.isNaN(n)) return '–';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function formatMs(seconds) {
  if (seconds === undefined || seconds === null || Number.isNaN(seconds)) return '–';
  const ms = seconds * 1000;
  return ms >= 10_000 ? `${formatNumber(ms / 1000, 1)} s` : `${formatNumber(ms)} ms`;
}

export function stateBadge(state) {
  return h('span', { class: `state state-${String(state).toLowerCase()}` }, state);
}

/** A task's long phases (a source's initial copy, parked records at their bound) as progress bars. */
export function progressList(progress) {
  if (!progress?.length) return null;
  return h(
    'ul',
    { class: 'progress' },
    progress.map((p) =>
      h(
        'li',
        { 'data-phase': p.phase },
        h('span', {}, `${p.phase} ${p.source}: ${formatNumber(p.done)}${p.total ? ` of ${formatNumber(p.total)}` : ''} `),
        p.total ? h('progress', { value: Math.min(p.done, p.total), max: p.total, 'aria-label': `${p.phase} ${p.source}` }) : null,
      ),
    ),
  );
}
