import { api, connectorPath, describeError } from '../api.js';
import { h, render } from '../dom.js';
import { flash } from '../flash.js';

/** A source's stored positions or a sink's committed offsets (KIP-875), changeable while STOPPED. */
export function offsets(container, name, status) {
  let answer;
  let error;
  const load = async () => {
    try {
      answer = await api('GET', connectorPath(name, '/offsets'));
      error = undefined;
    } catch (err) {
      error = err;
    }
    draw();
  };
  const draw = () => {
    const stopped = status()?.connector.state === 'STOPPED';
    const heading = h('h2', {}, 'Offsets ', h('button', { type: 'button', onclick: () => void load() }, 'Refresh'));
    if (error) return render(container, heading, h('p', { class: 'error' }, describeError(error)));
    if (!answer) return render(container, heading, h('p', { class: 'muted' }, 'Loading…'));
    const editor = h(
      'textarea',
      { rows: 8, 'aria-label': 'Offsets to set, as the PATCH body', spellcheck: 'false' },
      JSON.stringify({ offsets: answer.offsets }, null, 2),
    );
    render(
      container,
      heading,
      h(
        'table',
        { class: 'offset-table' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Partition'), h('th', { scope: 'col' }, 'Offset'))),
        h(
          'tbody',
          {},
          answer.offsets.length === 0 ? h('tr', {}, h('td', { colspan: 2, class: 'muted' }, 'none stored')) : null,
          answer.offsets.map((o) => h('tr', {}, h('td', {}, h('code', {}, JSON.stringify(o.partition))), h('td', {}, h('code', {}, JSON.stringify(o.offset))))),
        ),
      ),
      stopped
        ? h(
            'div',
            { class: 'offset-actions' },
            h(
              'button',
              {
                type: 'button',
                class: 'danger',
                onclick: async () => {
                  if (!window.confirm(`Reset every offset of ${name}? It starts again from its beginning when resumed.`)) return;
                  await act('DELETE');
                },
              },
              'Reset offsets',
            ),
            editor,
            h(
              'button',
              {
                type: 'button',
                onclick: async () => {
                  let body;
                  try {
                    body = JSON.parse(editor.value);
                  } catch (err) {
                    return flash(`The offsets are not JSON: ${err.message}`, true);
                  }
                  if (!window.confirm(`Set these offsets on ${name}?`)) return;
                  await act('PATCH', body);
                },
              },
              'Alter offsets',
            ),
          )
        : h('p', { class: 'muted' }, 'Stop the connector to reset or alter its offsets.'),
    );
  };
  const act = async (method, body) => {
    try {
      const res = await api(method, connectorPath(name, '/offsets'), body);
      flash(res?.message ?? `Offsets of ${name} changed`);
    } catch (err) {
      flash(`Changing the offsets of ${name} failed. ${describeError(err)}`, true);
    }
    await load();
  };
  draw();
  void load();
  return draw;
}
