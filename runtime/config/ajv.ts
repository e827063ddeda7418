import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { LITERAL_KEYWORD, SECRET_KEYWORD } from '../api/schema.js';
import type { ConfigErrorEntry } from '../api/errors.js';

// ajv-formats is CommonJS: under NodeNext the default import is `module.exports`, whose
// `default` property is the plugin function.
const addFormats = addFormatsModule.default;

/**
 * One ajv instance for all config schemas. Kafka Connect configs are string maps, so
 * `coerceTypes` accepts `"tasks.max": "2"`; `useDefaults` fills in defaults; `allErrors` reports
 * every problem at once; `verbose` gives error messages access to the failing schema.
 */
function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, coerceTypes: true, verbose: true, strict: true, strictTypes: false });
  addFormats(ajv);
  ajv.addKeyword({ keyword: SECRET_KEYWORD, schemaType: 'boolean' });
  ajv.addKeyword({ keyword: LITERAL_KEYWORD, schemaType: 'boolean' });
  return ajv;
}

const ajv = createAjv();
const compiled = new WeakMap<object, ValidateFunction>();

/** Compiles `schema` once; schemas are compared by identity, so pass the same object each time. */
export function compileSchema(schema: object): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  return fn;
}

function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function describeAllowed(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

function constBranches(schema: unknown): unknown[] | undefined {
  if (!Array.isArray(schema)) return undefined;
  const values: unknown[] = [];
  for (const branch of schema as Record<string, unknown>[]) {
    if (branch && 'const' in branch) values.push(branch['const']);
    else if (branch && Array.isArray(branch['enum'])) values.push(...(branch['enum'] as unknown[]));
    else return undefined;
  }
  return values;
}

/**
 * Turns ajv errors into `{ key, message }` with dotted config keys instead of JSON pointers.
 * Config keys already contain dots (`tasks.max`), so path segments are joined with dots as is;
 * `prefix` is prepended for nested configs such as `transforms.<alias>.`.
 */
export function toConfigErrors(errors: readonly ErrorObject[] | null | undefined, prefix = ''): ConfigErrorEntry[] {
  if (!errors) return [];
  // anyOf/oneOf report every failing branch too; keep only the summary for readability.
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => `${e.schemaPath}/`);
  const out: ConfigErrorEntry[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (unions.some((u) => e.schemaPath.startsWith(u))) continue;
    const path = decodePointer(e.instancePath);
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'required') {
      path.push(String((e.params as { missingProperty: string }).missingProperty));
      message = 'is required';
    } else if (e.keyword === 'additionalProperties') {
      path.push(String((e.params as { additionalProperty: string }).additionalProperty));
      message = 'is not a known configuration key';
    } else if (e.keyword === 'enum') {
      message = `must be one of: ${describeAllowed((e.params as { allowedValues: unknown[] }).allowedValues)}`;
    } else if (e.keyword === 'anyOf' || e.keyword === 'oneOf') {
      const values = constBranches(e.schema);
      if (values) message = `must be one of: ${describeAllowed(values)}`;
    }
    const key = prefix + path.join('.');
    const id = `${key}\0${message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ key, message });
  }
  return out;
}
