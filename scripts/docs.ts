/**
 * `npm run docs`: regenerates the reference pages from the code, so they cannot drift.
 *
 * - docs/configuration.md from the TSDoc of the options types,
 * - docs/errors.md from the error catalogue,
 * - docs/events.md from the TSDoc of the event map,
 * - docs/api/ with TypeDoc (typedoc.json).
 *
 * `npm run docs -- --check` (what `.ci/run` runs as `npm run docs:check`) generates
 * everything into a temporary directory instead and fails, naming the files, when
 * docs/ differs: someone changed the code and did not run `npm run docs`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareTrees, generateApi, generatePages, writePages } from './docs/generate.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');

if (check) {
  const out = mkdtempSync(join(tmpdir(), 'switchyard-docs-'));
  try {
    writePages(out, generatePages(root));
    generateApi(root, join(out, 'api'));
    const stale = compareTrees(join(root, 'docs'), out, ['configuration.md', 'errors.md', 'events.md', 'api']);
    if (stale.length > 0) {
      console.error(`docs/ is stale; run \`npm run docs\` and commit the result:\n${stale.map((s) => `  ${s}`).join('\n')}`);
      process.exitCode = 1;
    } else console.log('docs/ is up to date');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
} else {
  writePages(join(root, 'docs'), generatePages(root));
  rmSync(join(root, 'docs', 'api'), { recursive: true, force: true });
  generateApi(root, join(root, 'docs', 'api'));
  console.log('wrote docs/configuration.md, docs/errors.md, docs/events.md and docs/api/');
}
