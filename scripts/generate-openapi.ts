/**
 * Writes openapi.yaml at the repository root from the REST route schemas (`npm run openapi`).
 * The file is committed; test/unit/rest-openapi.test.ts fails when it is out of date.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderOpenApiYaml } from '../runtime/rest/spec.js';

const target = fileURLToPath(new URL('../openapi.yaml', import.meta.url));
await writeFile(target, await renderOpenApiYaml(), 'utf8');
console.log(`wrote ${target}`);
