import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../runtime/api/index.js';
import { CONNECTOR_NAME_PATTERN, isValidConnectorName } from '../runtime/config/connector-schema.js';

/** The file model of `config/connectors/*.json`: the body that `POST /connectors` takes. */
export interface ConnectorFile {
  path: string;
  name: string;
  config: Record<string, string>;
}

/** Reads one connector file; a malformed file is a ConfigError naming the file and the key. */
export async function readConnectorFile(path: string): Promise<ConnectorFile> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    // JSON.parse quotes the text around the error, which may be a secret: say where, not what.
    const message = err instanceof SyntaxError ? `is not valid JSON${jsonPosition(err.message)}` : (err as Error).message;
    throw new ConfigError([{ key: '', message: `${path}: ${message}` }]);
  }
  const body = parsed as { name?: unknown; config?: unknown };
  const errors: Array<{ key: string; message: string }> = [];
  if (!isValidConnectorName(body?.name)) {
    errors.push({ key: 'name', message: `${path}: must be a string matching ${CONNECTOR_NAME_PATTERN}` });
  }
  if (typeof body?.config !== 'object' || body.config === null || Array.isArray(body.config)) {
    errors.push({ key: 'config', message: `${path}: must be an object of key/value pairs` });
  }
  if (errors.length > 0) throw new ConfigError(errors);
  // Kafka Connect configs are string maps; numbers and booleans in JSON files are accepted as such.
  const config = Object.fromEntries(Object.entries(body.config as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  return { path, name: body.name as string, config };
}

function jsonPosition(message: string): string {
  const m = /position (\d+)(?: \(line (\d+) column (\d+)\))?/.exec(message);
  if (!m) return '';
  return m[2] ? ` (line ${m[2]}, column ${m[3]})` : ` (at character ${m[1]})`;
}

/** Every `*.json` file of a directory, in name order. */
export async function readConnectorDir(dir: string): Promise<ConnectorFile[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  const files = await Promise.all(names.map((n) => readConnectorFile(join(dir, n))));
  const seen = new Map<string, string>();
  for (const f of files) {
    const other = seen.get(f.name);
    if (other) throw new ConfigError([{ key: 'name', message: `${f.path}: connector ${f.name} is also defined in ${other}` }]);
    seen.set(f.name, f.path);
  }
  return files;
}

/** The connector files named on a command line: a file as it is, a directory as its `*.json` files. */
export async function readConnectorPaths(paths: readonly string[]): Promise<ConnectorFile[]> {
  const files: ConnectorFile[] = [];
  for (const path of paths) {
    const isDir = await stat(path).then(
      (s) => s.isDirectory(),
      () => false,
    );
    files.push(...(isDir ? await readConnectorDir(path) : [await readConnectorFile(path)]));
  }
  return files;
}
