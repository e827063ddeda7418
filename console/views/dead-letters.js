import { api, ApiError, connectorPath, describeError } from '../api.js';
import { h, render, formatNumber } from '../dom.js';
import { flash } from '../flash.js';

const REFRESH_MS = 10_000;
const show = (v) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2));

/** The newest records of the connector's dead-letter topic, decoded, by rule. */
export function deadLetters(container, name, info) {
  if (!info?.config['errors.deadletterqueue.topic.name']) {
    render(container, h('h2', {}, 'Dead letters'), h('p', { class: 'muted' }, 'This connector has no dead-letter topic (errors.deadletterqueue.topic.name).'));
    return;
  }
  let rule = '';
  let answer;
  let error;
  const load = async () => {
    try {
      answer = await api('GET', connectorPath(name, `/dead-letters?limit=20${rule ? `&rule=${encodeURIComponent(rule)}` : ''}`));
      error = undefined;
    } catch (err) {
      error = err;
    }
    draw();
  };
  const draw = () => {
    if (!container.isConnected) return clearInterval(timer);
    const heading = h('h2', {}, 'Dead letters ', h('button', { type: 'button', onclick: () => void load(), 'data-key': 'dlq-refresh' }, 'Refresh'));
    if (error)
      return render(
        container,
        heading,
        h('p', { class: 'error' }, error instanceof ApiError && error.status === 404 ? 'No dead-letter topic yet.' : describeError(error)),
      );
    if (!answer) return render(container, heading, h('p', { class: 'muted' }, 'Reading the dead-letter topic…'));
    const rules = [...new Set(answer.groups.map((g) => g.rule))];
    if (rule && !rules.includes(rule)) rules.push(rule);
    render(
      container,
      heading,
      h('p', { class: 'muted' }, `${answer.topic}: ${formatNumber(answer.total)} records, the newest ${formatNumber(answer.scanned)} read.`),
      h(
        'table',
        { class: 'dlq-groups' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Rule', 'Stage', 'Records', 'First', 'Last', ''].map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        h(
          'tbody',
          {},
          answer.groups.map((g) =>
            h(
              'tr',
              { 'data-rule': g.rule },
              h('td', {}, g.rule),
              h('td', {}, g.stage),
              h('td', { class: 'num' }, formatNumber(g.count)),
              h('td', {}, g.first),
              h('td', {}, g.last),
              h('td', {}, h('button', { type: 'button', 'data-key': `replay-${g.rule}`, 'data-replay': g.rule, onclick: () => void replay(g.rule) }, 'Replay')),
            ),
          ),
        ),
      ),
      h(
        'label',
        {},
        'Show rule ',
        h(
          'select',
          {
            'data-key': 'dlq-rule',
            onchange: (e) => {
              rule = e.currentTarget.value;
              void load();
            },
          },
          h('option', { value: '' }, 'all'),
          rules.map((r) => h('option', { value: r, selected: r === rule }, r)),
        ),
      ),
      h(
        'ol',
        { class: 'dlq-records' },
        answer.records.map((r) =>
          h(
            'li',
            { 'data-rule': r.rule },
            h(
              'div',
              {},
              h('strong', {}, r.rule),
              h('span', { class: 'muted' }, ` · ${r.stage} · ${r.timestamp} · partition ${r.partition} offset ${r.offset}`),
            ),
            h('div', {}, 'key ', h('code', {}, show(r.key))),
            h(
              'details',
              { 'data-key': `dlq-${r.partition}-${r.offset}` },
              h('summary', {}, 'value and headers'),
              h('pre', {}, r.value === null ? '(no value)' : show(r.value)),
              h(
                'table',
                { class: 'headers' },
                h(
                  'tbody',
                  {},
                  Object.entries(r.headers).map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v))),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  };
  /** Reads the rule's rejected keys again from their source: fixed records land, the rest is rejected anew. */
  const replay = async (which) => {
    if (!window.confirm(`Read the dead letters of ${which} again from their source?`)) return;
    try {
      const res = await api('POST', connectorPath(name, '/dead-letters/replay'), { rule: which });
      const asked = res.replays.map((r) => `${r.keys} keys from ${r.source} (snapshot ${r.snapshot.id})`).join('; ');
      const skipped = res.skipped.map((s) => `${s.records} of ${s.topic} skipped: ${s.reason}`).join('; ');
      flash(`Replay of ${which}: ${[asked, skipped].filter(Boolean).join('; ')}`, res.replays.length === 0);
    } catch (err) {
      flash(`Replay of ${which} failed. ${describeError(err)}`, true);
    }
  };
  const timer = setInterval(() => void load(), REFRESH_MS);
  draw();
  void load();
}
