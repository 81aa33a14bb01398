/**
 * @module
 * The generated reference pages, and the comparison that tells when they are stale.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { configurationPage } from './configuration.js';
import { errorsPage } from './errors.js';
import { eventsPage } from './events.js';
import { createSourceProgram } from './program.js';

/** The hand-generated pages, by file name below docs/. */
export function generatePages(root: string): Record<string, string> {
  const program = createSourceProgram(root);
  return {
    'configuration.md': configurationPage(program),
    'errors.md': errorsPage(program),
    'events.md': eventsPage(program),
  };
}

export function writePages(dir: string, pages: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(pages)) writeFileSync(join(dir, name), text);
}

/** The API reference, by TypeDoc with the markdown plugin (typedoc.json), into `out`. */
export function generateApi(root: string, out: string): void {
  const bin = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
  execFileSync(process.execPath, [bin, '--out', out, '--logLevel', 'Error'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
}

/** Files (below `names` of two trees) that differ or exist on one side only. */
export function compareTrees(committed: string, fresh: string, names: string[]): string[] {
  const files = (base: string) => new Set(names.flatMap((n) => list(base, join(base, n))));
  const a = files(committed);
  const b = files(fresh);
  const stale: string[] = [];
  for (const f of [...new Set([...a, ...b])].sort()) {
    if (!a.has(f)) stale.push(`${f} (missing)`);
    else if (!b.has(f)) stale.push(`${f} (no longer generated)`);
    else if (!readFileSync(join(committed, f)).equals(readFileSync(join(fresh, f)))) stale.push(f);
  }
  return stale;
}

function list(base: string, path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [relative(base, path)];
  return readdirSync(path).flatMap((n) => list(base, join(path, n)));
}
