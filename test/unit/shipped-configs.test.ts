import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { connectors } from '../../connectors/index.js';
import { validateFiles } from '../../cli/commands/validate.js';
import { predicates, transforms } from '../../transforms/index.js';

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const connectorFiles = readdirSync(root('config/connectors'))
  .filter((name) => name.endsWith('.json'))
  .map((name) => root(`config/connectors/${name}`));
const envNames = (text: string) => [...text.matchAll(/\$\{env:([^}]+)\}/g)].map((m) => m[1]!);

t.test('the versioned connector configs pass conflux validate', async (t) => {
  t.same(connectorFiles.map((f) => f.split('/').pop()).sort(), ['orders-source.json', 'warehouse-customers.json', 'warehouse-orders.json']);
  const lines: string[] = [];
  const invalid = await validateFiles(connectorFiles, { connectors, transforms, predicates }, (line) => lines.push(line));
  t.equal(invalid, 0, lines.join('\n'));
});

t.test('every variable the shipped configs read is allowed by the worker config and listed in .env.example', async (t) => {
  const example = new Set([...readFileSync(root('.env.example'), 'utf8').matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
  for (const workerFile of ['config/worker.json', 'config/worker-docker.json', 'config/worker-distributed.json']) {
    const worker = JSON.parse(readFileSync(root(workerFile), 'utf8')) as Record<string, string>;
    const allow = worker['config.providers.env.allowlist']!.split(',').map((s) => s.trim());
    const allowed = (name: string) => allow.some((entry) => (entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : name === entry));
    for (const file of connectorFiles) {
      for (const name of envNames(readFileSync(file, 'utf8'))) t.ok(allowed(name), `${workerFile} lets connectors read ${name}`);
    }
    for (const name of envNames(readFileSync(root(workerFile), 'utf8'))) t.ok(example.has(name), `.env.example lists ${name} (${workerFile})`);
  }
  for (const file of connectorFiles) for (const name of envNames(readFileSync(file, 'utf8'))) t.ok(example.has(name), `.env.example lists ${name}`);
});
