import { api, ApiError, connectorPath, describeError } from '../api.js';
import { h, render, formatNumber } from '../dom.js';
import { flash } from '../flash.js';

const REFRESH_MS = 3000;

/** A source's incremental snapshots: progress bars, start one, cancel one. */
export function snapshots(container, name, info) {
  const collections = String(info?.config.collections ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  let answer;
  let error;
  const load = async () => {
    try {
      answer = await api('GET', connectorPath(name, '/snapshots'));
      error = undefined;
    } catch (err) {
      error = err;
    }
    draw();
  };
  const select = h(
    'select',
    { 'aria-label': 'Collection to read again', 'data-key': 'snap-collection' },
    collections.map((c) => h('option', { value: c }, c)),
  );
  const startButton = h(
    'button',
    {
      type: 'button',
      'data-key': 'snap-start',
      onclick: async () => {
        try {
          const s = await api('POST', connectorPath(name, '/snapshots'), { collection: select.value, reason: 'console' });
          flash(`Snapshot ${s.id} of ${s.collection} asked`);
        } catch (err) {
          flash(`Starting a snapshot failed. ${describeError(err)}`, true);
        }
        await load();
      },
    },
    'Read again',
  );
  const draw = () => {
    if (!container.isConnected) return clearInterval(timer);
    const heading = h('h2', {}, 'Incremental snapshots');
    if (error instanceof ApiError && error.status === 400) return render(container, heading, h('p', { class: 'muted' }, error.message));
    if (error) return render(container, heading, h('p', { class: 'error' }, describeError(error)));
    render(
      container,
      heading,
      h('p', { class: 'muted' }, 'Reads a collection again while the stream goes on; each chunk is dated by its read, so it never overwrites a newer change.'),
      h('div', { class: 'snap-start' }, select, ' ', startButton),
      !answer
        ? h('p', { class: 'muted' }, 'Loading…')
        : answer.snapshots.length === 0
          ? h('p', { class: 'muted' }, 'None yet.')
          : h(
              'ul',
              { class: 'snapshots' },
              answer.snapshots.map((s) =>
                h(
                  'li',
                  { 'data-snapshot': s.id, 'data-state': s.state },
                  h('strong', {}, `${s.collection} `),
                  h('span', { class: `state state-${s.state}` }, s.state),
                  ` ${formatNumber(s.documents)}${s.total ? ` of ~${formatNumber(s.total)}` : ''} documents, ${s.chunks} chunks`,
                  s.ratePerSecond ? `, ${formatNumber(s.ratePerSecond)}/s` : '',
                  s.etaSeconds !== undefined ? `, ${formatNumber(s.etaSeconds)} s left` : '',
                  s.reason ? h('span', { class: 'muted' }, ` · ${s.reason}`) : null,
                  s.total ? h('progress', { value: Math.min(s.documents, s.total), max: s.total, 'aria-label': `snapshot ${s.id}` }) : null,
                  s.state === 'running' || s.state === 'pending'
                    ? h(
                        'button',
                        {
                          type: 'button',
                          'data-key': `cancel-${s.id}`,
                          onclick: async () => {
                            try {
                              await api('DELETE', connectorPath(name, `/snapshots/${encodeURIComponent(s.id)}`));
                              flash(`Snapshot ${s.id} cancelled`);
                            } catch (err) {
                              flash(`Cancelling failed. ${describeError(err)}`, true);
                            }
                            await load();
                          },
                        },
                        'Cancel',
                      )
                    : null,
                ),
              ),
            ),
    );
  };
  const timer = setInterval(() => void load(), REFRESH_MS);
  draw();
  void load();
}
