import { api, ApiError, connectorPath, describeError } from '../api.js';
import { h, render } from '../dom.js';
import { flash } from '../flash.js';

const HIDDEN = '[hidden]';
const isPlaceholder = (v) => /^\$\{[a-z]+:.+\}$/.test(v);

/**
 * Create (`name` undefined) or edit a connector from its plugin's schema: the same definitions
 * that validate configs and write docs/configuration.md. What the API refuses is shown next to
 * the key it names. Secret keys take a placeholder (${env:NAME}, ${file:/path:key}) unless the
 * user asks to enter a literal value.
 */
export async function editor(container, name) {
  render(container, h('h1', {}, name ? `Edit ${name}` : 'New connector'), h('p', { class: 'muted' }, 'Loading…'));
  let plugins;
  let current = {};
  try {
    plugins = await api('GET', '../connector-plugins');
    if (name) current = await api('GET', connectorPath(name, '/config'));
  } catch (err) {
    return render(container, h('h1', {}, name ? `Edit ${name}` : 'New connector'), h('p', { class: 'error' }, describeError(err)));
  }
  const form = h('form', { class: 'editor', novalidate: true });
  const general = h('div', { class: 'form-errors', role: 'alert' });
  const nameInput = h('input', { id: 'f-name', name: 'name', required: true, value: name ?? '', disabled: Boolean(name), autocomplete: 'off' });
  const pluginSelect = h(
    'select',
    { id: 'f-plugin', name: 'connector.class', disabled: Boolean(name) },
    h('option', { value: '' }, 'choose a plugin'),
    plugins.map((p) => h('option', { value: p.class, selected: p.class === current['connector.class'] }, `${p.class} (${p.type})`)),
  );
  const fields = h('div', { class: 'fields' });
  const extra = h('textarea', { id: 'f-extra', rows: 4, spellcheck: 'false', placeholder: 'transforms.parse.type=ParseOrder' });
  const inputs = new Map();

  const loadFields = async () => {
    inputs.clear();
    const plugin = pluginSelect.value;
    if (!plugin) return render(fields);
    let defs;
    try {
      defs = await api('GET', `../connector-plugins/${encodeURIComponent(plugin)}/config`);
    } catch (err) {
      return render(fields, h('p', { class: 'error' }, describeError(err)));
    }
    const known = new Set(defs.map((d) => d.name));
    extra.value = Object.entries(current)
      .filter(([k]) => !known.has(k) && k !== 'name')
      .map(([k, v]) => `${k}=${v}`)
      .join('\n');
    const groups = new Map();
    for (const def of defs) {
      if (def.name === 'connector.class' || def.name === 'name') continue;
      if (!groups.has(def.group)) groups.set(def.group, []);
      groups.get(def.group).push(def);
    }
    render(
      fields,
      [...groups].map(([group, list]) =>
        h(
          'fieldset',
          {},
          h('legend', {}, group),
          list.map((def) => field(def, current[def.name], inputs)),
        ),
      ),
    );
  };
  pluginSelect.addEventListener('change', () => void loadFields());

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
    render(general);
    const config = { 'connector.class': pluginSelect.value };
    for (const [key, { input, literal }] of inputs) {
      const value = input.value.trim();
      if (value === '') continue;
      if (literal && !literal.checked && value !== HIDDEN && !isPlaceholder(value)) {
        return showErrors([
          { key, message: 'a secret takes a placeholder such as ${env:NAME} or ${file:/path:key}; tick "literal value" to enter the secret itself' },
        ]);
      }
      config[key] = value;
    }
    for (const line of extra.value.split('\n')) {
      const at = line.indexOf('=');
      if (line.trim() === '') continue;
      if (at <= 0) return showErrors([{ key: 'more keys', message: `"${line}" is not key=value` }]);
      config[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
    const connector = name ?? nameInput.value.trim();
    try {
      if (name) await api('PUT', connectorPath(name, '/config'), config);
      else await api('POST', '../connectors', { name: connector, config });
      flash(`${connector} ${name ? 'updated' : 'created'}`);
      location.hash = `#/connectors/${encodeURIComponent(connector)}`;
    } catch (err) {
      if (err instanceof ApiError && err.keyErrors.length > 0) showErrors(err.keyErrors);
      else showErrors([{ key: '', message: describeError(err) }]);
    }
  });

  const showErrors = (errors) => {
    const rest = [];
    for (const e of errors) {
      const slot = form.querySelector(`.field-error[data-for="${CSS.escape(e.key)}"]`);
      if (slot) slot.textContent = e.message;
      else rest.push(e);
    }
    render(
      general,
      rest.length
        ? h(
            'ul',
            {},
            rest.map((e) => h('li', {}, e.key ? `${e.key}: ${e.message}` : e.message)),
          )
        : null,
    );
    form.querySelector('.field-error:not(:empty)')?.closest('.field')?.querySelector('input,select,textarea')?.focus();
  };

  render(container, h('h1', {}, name ? `Edit ${name}` : 'New connector'), form);
  form.append(
    general,
    h('div', { class: 'field' }, h('label', { for: 'f-name' }, 'name'), nameInput, h('span', { class: 'field-error', 'data-for': 'name' })),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'f-plugin' }, 'connector.class'),
      pluginSelect,
      h('span', { class: 'field-error', 'data-for': 'connector.class' }),
    ),
    fields,
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'f-extra' }, 'more keys (key=value per line: transforms, predicates, overrides)'),
      extra,
      h('span', { class: 'field-error', 'data-for': 'more keys' }),
    ),
    h('button', { type: 'submit', class: 'primary' }, name ? 'Save' : 'Create'),
  );
  await loadFields();
}

function field(def, value, inputs) {
  const id = `f-${def.name.replace(/[^a-zA-Z0-9_-]/g, '-')}`;
  const isSecret = def.secret || def.type === 'PASSWORD';
  const input =
    def.type === 'BOOLEAN'
      ? h(
          'select',
          { id, name: def.name },
          h('option', { value: '' }, `default${def.default_value !== null ? ` (${def.default_value})` : ''}`),
          ['true', 'false'].map((v) => h('option', { value: v, selected: value === v }, v)),
        )
      : h('input', {
          id,
          name: def.name,
          value: value ?? '',
          placeholder: isSecret ? '${env:NAME}' : (def.default_value ?? ''),
          autocomplete: 'off',
          'aria-describedby': `${id}-doc ${id}-err`,
          required: def.required,
        });
  const literal = isSecret ? h('input', { type: 'checkbox', id: `${id}-literal` }) : undefined;
  if (literal) literal.addEventListener('change', () => (input.type = literal.checked ? 'password' : 'text'));
  inputs.set(def.name, { input, literal });
  return h(
    'div',
    { class: 'field', 'data-field': def.name },
    h(
      'label',
      { for: id },
      def.name,
      def.required ? h('span', { class: 'required', title: 'required' }, ' *') : null,
      h('span', { class: 'type' }, ` ${def.type.toLowerCase()}`),
    ),
    input,
    literal ? h('label', { class: 'literal' }, literal, ' literal value (not a placeholder)') : null,
    h('small', { id: `${id}-doc`, class: 'doc' }, def.documentation),
    h('span', { class: 'field-error', id: `${id}-err`, 'data-for': def.name }),
  );
}
