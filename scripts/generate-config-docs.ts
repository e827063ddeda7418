/**
 * Writes docs/configuration.md from the plugin and worker schemas (`npm run docs:config`). The file
 * is committed; test/unit/config-reference.test.ts fails when it is out of date.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderConfigReference } from './config-reference.js';

const target = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));
await writeFile(target, renderConfigReference(), 'utf8');
console.log(`wrote ${target}`);
