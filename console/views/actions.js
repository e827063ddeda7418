import { api, connectorPath, describeError } from '../api.js';
import { h } from '../dom.js';
import { flash } from '../flash.js';

const ACTIONS = [
  { label: 'Pause', method: 'PUT', path: '/pause', when: (state) => state === 'RUNNING' },
  { label: 'Resume', method: 'PUT', path: '/resume', when: (state) => state === 'PAUSED' || state === 'STOPPED' },
  { label: 'Stop', method: 'PUT', path: '/stop', when: (state) => state !== 'STOPPED' },
  { label: 'Restart', method: 'POST', path: '/restart?includeTasks=true&onlyFailed=false', when: () => true },
];

/** The lifecycle buttons of one connector: they call the REST API and report what it answered. */
export function actionButtons(name, state, onDone) {
  return h(
    'span',
    { class: 'actions' },
    ACTIONS.filter((a) => a.when(state)).map((a) =>
      h(
        'button',
        {
          type: 'button',
          'data-key': `${name}:${a.label}`,
          'data-action': a.label.toLowerCase(),
          'aria-label': `${a.label} ${name}`,
          onclick: async (event) => {
            event.currentTarget.disabled = true;
            try {
              await api(a.method, connectorPath(name, a.path));
              flash(`${a.label}: ${name} asked`);
            } catch (err) {
              flash(`${a.label} ${name} failed. ${describeError(err)}`, true);
            } finally {
              onDone?.();
            }
          },
        },
        a.label,
      ),
    ),
  );
}
