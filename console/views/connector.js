import { api, connectorPath, describeError } from '../api.js';
import { chart } from '../chart.js';
import { h, render, formatMs, formatNumber, progressList, stateBadge } from '../dom.js';
import { lagOf, sampler, watermarkLagOf } from '../live.js';
import { actionButtons } from './actions.js';
import { deadLetters } from './dead-letters.js';
import { offsets } from './offsets.js';
import { snapshots } from './snapshots.js';

/** One connector: its state and tasks, live charts, dead letters and offsets. */
export function connectorView(container, name) {
  const head = h('section', { class: 'head' });
  const live = h('section', { class: 'live', 'aria-label': 'Live numbers' });
  const dlq = h('section', { class: 'dlq' });
  const offs = h('section', { class: 'offsets' });
  const snaps = h('section', { class: 'snapshots-section' });
  container.replaceChildren(h('p', {}, h('a', { href: '#/' }, '← Connectors')), head, live, snaps, dlq, offs);
  let status;
  let info;
  let redrawOffsets;

  const loadStatus = async () => {
    try {
      const before = status?.connector.state;
      [status, info] = await Promise.all([api('GET', connectorPath(name, '/status')), api('GET', connectorPath(name))]);
      drawHead();
      if (before !== undefined && before !== status.connector.state) redrawOffsets?.();
    } catch (err) {
      render(head, h('h1', {}, name), h('p', { class: 'error' }, describeError(err)));
    }
  };
  const drawHead = () => {
    render(
      head,
      h('h1', {}, name, ' ', stateBadge(status.connector.state)),
      h(
        'p',
        { class: 'muted' },
        `${status.type} connector ${info.config['connector.class']} on ${status.connector.worker_id} · `,
        h('a', { href: `#/connectors/${encodeURIComponent(name)}/edit` }, 'Edit config'),
      ),
      actionButtons(name, status.connector.state, () => void loadStatus()),
      h(
        'ul',
        { class: 'tasks' },
        status.tasks.map((task) =>
          h(
            'li',
            { 'data-task': task.id },
            `task ${task.id} `,
            stateBadge(task.state),
            ` on ${task.worker_id}`,
            progressList(task.progress),
            task.trace ? h('details', { 'data-key': `t${task.id}` }, h('summary', {}, 'trace'), h('pre', {}, task.trace)) : null,
          ),
        ),
      ),
    );
  };

  const drawLive = () => {
    const latest = sampler.latest(name);
    if (!status) return;
    if (!latest)
      return render(
        live,
        h('h2', {}, 'Live'),
        h('p', { class: 'muted' }, 'No metrics from this worker for this connector yet (in a cluster, each worker reports the tasks it runs).'),
      );
    const isSource = status.type === 'source';
    const charts = [
      chart({
        key: 'throughput',
        title: 'Records/s',
        series: [
          { name: 'in', points: sampler.rate(name, isSource ? 'sourceRecordsPolled' : 'sinkRecordsConsumed') },
          { name: 'out', points: sampler.rate(name, isSource ? 'sourceRecordsProduced' : 'sinkRecordsWritten') },
        ],
      }),
      chart({ key: 'dead-letters', title: 'Dead letters/s', series: [{ name: 'dead letters', points: sampler.rate(name, 'recordsDeadLettered') }] }),
    ];
    if (!isSource) {
      charts.push(
        chart({ key: 'lag', title: 'Consumer lag (records)', series: [{ name: 'lag', points: sampler.gauge(name, lagOf) }], format: (v) => formatNumber(v) }),
        chart({
          key: 'latency',
          title: 'End-to-end latency (10 s window)',
          series: [
            { name: 'p50', points: sampler.latency(name, 0.5) },
            { name: 'p99', points: sampler.latency(name, 0.99) },
          ],
          format: formatMs,
        }),
        chart({
          key: 'parked',
          title: 'Records parked by the join',
          series: [{ name: 'parked', points: sampler.gauge(name, (c) => c.recordsParked) }],
          format: (v) => formatNumber(v),
        }),
        chart({
          key: 'watermark',
          title: 'Watermark lag',
          series: [{ name: 'watermark lag', points: sampler.gauge(name, watermarkLagOf) }],
          format: (v) => formatMs(v),
        }),
      );
    }
    render(
      live,
      h('h2', {}, 'Live'),
      h('div', { class: 'charts' }, charts),
      isSource || latest.consumerLag.length === 0
        ? null
        : h(
            'table',
            { class: 'lag' },
            h('caption', {}, 'Consumer lag per partition'),
            h(
              'thead',
              {},
              h('tr', {}, h('th', { scope: 'col' }, 'Topic'), h('th', { scope: 'col' }, 'Partition'), h('th', { scope: 'col' }, 'Records behind')),
            ),
            h(
              'tbody',
              {},
              latest.consumerLag.map((p) =>
                h('tr', {}, h('td', {}, p.topic), h('td', { class: 'num' }, p.partition), h('td', { class: 'num' }, formatNumber(p.records))),
              ),
            ),
          ),
    );
  };

  void loadStatus().then(() => {
    drawLive();
    if (status.type === 'source') snapshots(snaps, name, info);
    deadLetters(dlq, name, info);
    redrawOffsets = offsets(offs, name, () => status);
  });
  const timer = setInterval(loadStatus, 2000);
  const unsubscribe = sampler.subscribe(drawLive);
  return () => {
    clearInterval(timer);
    unsubscribe();
  };
}
