import type { TSchema } from 'typebox';
import { connectors } from '../connectors/index.js';
import { connectorProperties } from '../runtime/config/connector-schema.js';
import { workerConfigSchema } from '../runtime/config/worker-schema.js';
import { allowedValues, describePlugin, type ConfigKeyInfo } from '../runtime/rest/plugin-config.js';
import { predicates, transforms } from '../transforms/index.js';

type Prop = Record<string, unknown>;

// Markdown would read <alias> as an HTML tag and | as a column.
const cell = (text: string) =>
  text
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\s*\n\s*/g, ' ');
const code = (text: string) => (text === '' ? '`""`' : `\`${text}\``);

/** One key as a table row: the same descriptors GET /connector-plugins/:plugin/config serves. */
function row(info: ConfigKeyInfo, prop: Prop | undefined): string {
  const type = [info.secret ? 'string' : info.type.toLowerCase(), info.required ? 'required' : '', info.secret ? 'secret' : ''].filter(Boolean).join(', ');
  const notes: string[] = [];
  const allowed = prop ? allowedValues(prop) : [];
  if (allowed.length > 0) notes.push(`One of ${allowed.map(code).join(', ')}.`);
  const examples = prop?.['examples'];
  if (Array.isArray(examples) && examples.length > 0) notes.push(`Example: ${examples.map((e) => code(String(e))).join(', ')}.`);
  const doc = [info.documentation, ...notes].filter(Boolean).join(' ');
  return `| \`${info.name}\` | ${type} | ${info.default_value === null ? '' : code(info.default_value)} | ${cell(doc)} |`;
}

function table(infos: readonly ConfigKeyInfo[], props: (name: string) => Prop | undefined): string[] {
  return ['| key | type | default | description |', '| --- | --- | --- | --- |', ...infos.map((i) => row(i, props(i.name)))];
}

const propsOf = (schema: TSchema) => ((schema as { properties?: Record<string, Prop> }).properties ?? {}) as Record<string, Prop>;
const byName = <T extends { name: string }>(defs: Readonly<Record<string, T>>) => Object.values(defs).sort((a, b) => a.name.localeCompare(b.name));

/**
 * docs/configuration.md: every key of the worker config, of every connector (the keys all
 * connectors share, then each plugin's own), of every transform and predicate, generated from the
 * plugins' TypeBox schemas (`npm run docs:config`); test/unit/config-reference.test.ts fails when
 * the committed file differs.
 */
export function renderConfigReference(): string {
  const out: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated from the TypeBox schemas by `npm run docs:config`; do not edit by hand. -->',
    '',
    'Every key conflux accepts, with its type, default and meaning: the same descriptions',
    '`GET /connector-plugins/<plugin>/config` serves. Connector and transform values are strings in the',
    'JSON files (`"tasks.max": "2"`); any value may be a `${env:NAME}` or `${file:/path:key}` placeholder,',
    'except the keys that name things (see configuring.md). A *secret* key is hidden in every API response',
    'and log line.',
    '',
    '## Worker (`config/worker.json`)',
    '',
    ...table(describePlugin(workerConfigSchema, 'worker'), (name) => propsOf(workerConfigSchema)[name]),
  ];
  const none = { properties: {} } as unknown as TSchema;
  const keys = { source: describePlugin(none, 'common', 'source'), sink: describePlugin(none, 'common', 'sink') };
  const props = { ...connectorProperties('source'), ...connectorProperties('sink') } as unknown as Record<string, Prop>;
  const inBoth = (info: ConfigKeyInfo) => keys.source.some((k) => k.name === info.name) && keys.sink.some((k) => k.name === info.name);
  out.push('', '## Keys of every connector', '', ...table(keys.sink.filter(inBoth), (name) => props[name]));
  out.push(
    '',
    '### Sink connectors only',
    '',
    ...table(
      keys.sink.filter((k) => !inBoth(k)),
      (name) => props[name],
    ),
  );
  out.push(
    '',
    '### Source connectors only',
    '',
    ...table(
      keys.source.filter((k) => !inBoth(k)),
      (name) => props[name],
    ),
  );
  for (const def of byName(connectors)) {
    const own = describePlugin(def.config, def.name);
    out.push(
      '',
      `## Connector \`${def.name}\` (${def.type}, ${def.version})`,
      '',
      cell(def.description),
      '',
      ...table(own, (name) => propsOf(def.config)[name]),
    );
  }
  for (const [what, defs] of [
    ['Transform', transforms],
    ['Predicate', predicates],
  ] as const) {
    for (const def of byName(defs as Readonly<Record<string, { name: string; version?: string; description: string; config: TSchema }>>)) {
      const prefix = what === 'Transform' ? 'transforms.<alias>.' : 'predicates.<alias>.';
      const keys = describePlugin(def.config, def.name);
      out.push('', `## ${what} \`${def.name}\`${def.version ? ` (${def.version})` : ''}`, '', cell(def.description), '');
      if (keys.length === 0) out.push(`No keys besides \`${prefix}type\`.`);
      else out.push(`Keys under \`${prefix}\`:`, '', ...table(keys, (name) => propsOf(def.config)[name]));
    }
  }
  return `${out.join('\n')}\n`;
}
