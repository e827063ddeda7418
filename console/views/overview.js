import { api, describeError } from '../api.js';
import { h, render, formatNumber, progressList, stateBadge } from '../dom.js';
import { sampler } from '../live.js';
import { actionButtons } from './actions.js';

const rateNow = (name, field) => sampler.rate(name, field).at(-1)?.v;

/** Every connector with its state, tasks, worker and rates, refreshed every 2 s. */
export function overview(container) {
  let connectors = undefined;
  let error = undefined;
  const draw = () => {
    if (error) return render(container, h('h1', {}, 'Connectors'), h('p', { class: 'error' }, describeError(error)));
    if (!connectors) return render(container, h('h1', {}, 'Connectors'), h('p', { class: 'muted' }, 'Loading…'));
    const names = Object.keys(connectors).sort();
    render(
      container,
      h('h1', {}, 'Connectors'),
      names.length === 0 ? h('p', {}, 'No connectors yet. ', h('a', { href: '#/new' }, 'Create one')) : null,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'connectors' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Connector', 'Type', 'State', 'Tasks', 'In/s', 'Out/s', ''].map((c) => h('th', { scope: 'col' }, c)),
            ),
          ),
          h(
            'tbody',
            {},
            names.map((name) => row(name, connectors[name], () => void load())),
          ),
        ),
      ),
    );
  };
  const load = async () => {
    try {
      connectors = await api('GET', '../connectors?expand=status&expand=info');
      error = undefined;
    } catch (err) {
      error = err;
    }
    draw();
  };
  void load();
  const timer = setInterval(load, 2000);
  const unsubscribe = sampler.subscribe(draw);
  return () => {
    clearInterval(timer);
    unsubscribe();
  };
}

function row(name, { status, info }, refresh) {
  const type = status?.type ?? info?.type ?? '';
  const state = status?.connector.state ?? 'UNKNOWN';
  const isSource = type === 'source';
  const tasks = status?.tasks ?? [];
  return h(
    'tr',
    { 'data-connector': name, 'data-state': state },
    h('th', { scope: 'row' }, h('a', { href: `#/connectors/${encodeURIComponent(name)}`, 'data-key': `${name}:link` }, name)),
    h('td', {}, type),
    h('td', {}, stateBadge(state), status?.connector.trace ? trace(`${name}:connector`, status.connector.trace) : null),
    h(
      'td',
      {},
      tasks.length === 0 ? h('span', { class: 'muted' }, 'none') : null,
      tasks.map((task) =>
        h(
          'div',
          { class: 'task', 'data-task': task.id },
          `#${task.id} `,
          stateBadge(task.state),
          h('span', { class: 'muted' }, ` on ${task.worker_id}`),
          progressList(task.progress),
          task.trace ? trace(`${name}:${task.id}`, task.trace) : null,
        ),
      ),
    ),
    h('td', { class: 'num', 'data-rate': 'in' }, formatNumber(rateNow(name, isSource ? 'sourceRecordsPolled' : 'sinkRecordsConsumed'), 1)),
    h('td', { class: 'num', 'data-rate': 'out' }, formatNumber(rateNow(name, isSource ? 'sourceRecordsProduced' : 'sinkRecordsWritten'), 1)),
    h('td', {}, actionButtons(name, state, refresh)),
  );
}

function trace(key, text) {
  return h('details', { class: 'trace', 'data-key': key }, h('summary', {}, 'trace'), h('pre', {}, text));
}
