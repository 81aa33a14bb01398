/**
 * The documentation cannot drift from the code: the generated references match the
 * source, every relative link and anchor in the README and docs/ resolves, every code
 * block marked as a file type-checks, and the hand-written tables that mirror a list in
 * the code (the failover table, the headers, the `serve` flags, the source layout) name
 * every entry of it. The API reference (docs/api/) is checked by `npm run docs:check` in
 * .ci/run instead: TypeDoc alone takes 10 to 25 s on a loaded 2-core machine.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compareTrees, generatePages, writePages } from '../scripts/docs/generate.js';
import { checkLinks } from '../scripts/docs/links.js';
import { checkSnippets, snippetsIn, snippetsOf } from '../scripts/docs/snippets.js';
import { DEFAULT_RULES } from '../src/options.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const SLOW = 180_000; // a TypeScript program over the source: seconds on a loaded machine

function markdownFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownFiles(`${dir}/${e.name}`) : e.name.endsWith('.md') ? [`${dir}/${e.name}`] : [],
  );
}

/** The README, docs/ (generated API reference included) and the top-level pages docs/ links to. */
const pages = ['README.md', 'SECURITY.md', 'RELIABILITY.md', 'BENCHMARKS.md', ...markdownFiles('docs')];
const handWritten = pages.filter((p) => !p.startsWith('docs/api/'));

const scratch = mkdtempSync(join(tmpdir(), 'switchyard-docs-test-'));
let generated: Record<string, string> | undefined;
/** The pages as the generator makes them now (made once: a TypeScript program over the source). */
const fresh = () => (generated ??= generatePages(root));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('generated references', () => {
  it(
    'docs/configuration.md, errors.md and events.md match the source (run `npm run docs` when this fails)',
    () => {
      const dir = join(scratch, 'fresh');
      writePages(dir, fresh());
      expect(compareTrees(join(root, 'docs'), dir, ['configuration.md', 'errors.md', 'events.md'])).toEqual([]);
    },
    SLOW,
  );

  it(
    'list nested options with their type and default, and every catalogue code',
    () => {
      const pages = fresh();
      expect(pages['configuration.md']).toContain('| `timeouts.bodyMs` | `number` | `30000` |');
      expect(pages['configuration.md']).toContain('| `providers.<name>.healthCheck.path` | `string` | `\'/models\'` |');
      expect(pages['configuration.md']).toContain('| `alerts.rules[].windowMs` | `number` | `300000` (5 min) |');
      expect(pages['errors.md']).toMatch(/\| \[`ERR_SWITCHYARD_BODY_TIMEOUT`\]\(#err_switchyard_body_timeout\) \| 408 \|/);
      expect(pages['events.md']).toContain('## requestEnd');
    },
    SLOW,
  );

  it('the comparison names a stale file', () => {
    const a = join(scratch, 'a');
    const b = join(scratch, 'b');
    writePages(a, { 'x.md': 'one\n', 'y.md': 'same\n' });
    writePages(b, { 'x.md': 'two\n', 'y.md': 'same\n', 'z.md': 'new\n' });
    expect(compareTrees(a, b, ['x.md', 'y.md', 'z.md'])).toEqual(['x.md', 'z.md (missing)']);
  });
});

describe('links', () => {
  it('every relative link and anchor in the README and docs/ resolves', () => {
    expect(checkLinks(root, pages)).toEqual([]);
  });

  it('reports a missing file, a missing heading and a link outside the repository', () => {
    const dir = join(scratch, 'links');
    mkdirSync(join(dir, 'docs'), { recursive: true });
    writeFileSync(join(dir, 'docs', 'a.md'), '# A page\n\n## `retry.attempts` and more\n\n<a id="custom"></a>\n');
    writeFileSync(
      join(dir, 'README.md'),
      [
        '[ok](docs/a.md#a-page) [ok](docs/a.md#retryattempts-and-more) [ok](docs/a.md#custom) [ok](#top) [web](https://example.com/x.md#nope)',
        '[gone](docs/b.md) [bad anchor](docs/a.md#retry-attempts) [out](../x.md)',
        '',
        '# Top',
        '',
        '```md',
        '[in code](nowhere.md)',
        '```',
      ].join('\n'),
    );
    expect(checkLinks(dir, ['README.md']).map((p) => `${p.link}: ${p.problem}`)).toEqual([
      'docs/b.md: no such file: docs/b.md',
      'docs/a.md#retry-attempts: no heading #retry-attempts in docs/a.md',
      '../x.md: points outside the repository',
    ]);
  });
});

describe('code blocks marked as files', () => {
  const snippets = snippetsIn(root, handWritten);

  it(
    'type-check against the source',
    () => {
      // The README's quick starts: one per framework and per client API, the cloud chains, the hooks.
      expect(snippets.filter((s) => s.file === 'README.md').map((s) => s.title)).toEqual([
        'server.ts',
        'koa.ts',
        'nest.ts',
        'node-http.ts',
        'chat-completions.ts',
        'responses.ts',
        'messages.ts',
        'chains.ts',
        'hooks.ts',
      ]);
      expect(snippets.filter((s) => s.file === 'docs/recipes.md')).toHaveLength(5);
      expect(checkSnippets(root, snippets)).toEqual([]);
    },
    SLOW,
  );

  it(
    'report a type error at its line in the markdown',
    () => {
      const text = ['# Page', '', '```ts title="broken.ts"', "import { createRelay } from 'switchyard';", '', "createRelay({ providers: {}, models: {}, retyr: {} });", '```', '', '```ts', 'not checked: no title', '```'].join('\n');
      const found = snippetsOf('page.md', text);
      expect(found.map((s) => s.title)).toEqual(['broken.ts']);
      const errors = checkSnippets(root, found);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^page\.md:6: .*'retyr'/);
    },
    SLOW,
  );
});

describe('hand-written tables name every entry of the code they mirror', () => {
  /** Rows of the markdown table whose header row starts with `header`. */
  function tableRows(text: string, header: string): string[][] {
    const lines = text.split('\n');
    const start = lines.findIndex((l) => l.startsWith(`| ${header} |`));
    expect(start, `a table headed "${header}"`).toBeGreaterThan(-1);
    const rows: string[][] = [];
    for (let i = start + 2; i < lines.length && lines[i]!.startsWith('|'); i++) rows.push(lines[i]!.split(' | ').map((c) => c.replace(/^\| ?| ?\|$/g, '')));
    return rows;
  }

  it.each(['README.md', 'docs/failover.md'])('the failover table of %s gives every failure kind its default action', (file) => {
    const said: Record<string, string> = {};
    for (const [outcome, action] of tableRows(read(file), 'Upstream outcome')) {
      const verb = /^retry/.test(action!) ? 'retry' : /^next target/.test(action!) ? 'fallback' : /^return/.test(action!) ? 'return' : action!;
      for (const [, kind] of outcome!.matchAll(/\(`(\w+)`\)/g)) said[kind!] = verb;
    }
    expect(said).toEqual({ ...DEFAULT_RULES });
  });

  it('docs/http.md names every x-switchyard header the source reads or sets', () => {
    const source = (dir: string): string[] =>
      readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? source(`${dir}/${e.name}`) : e.name.endsWith('.ts') ? [read(`${dir}/${e.name}`)] : []));
    const headers = new Set([...source('src'), ...source('adapters')].flatMap((text) => [...text.matchAll(/['"`](x-switchyard-[a-z-]+)['"`]/g)].map((m) => m[1]!)));
    expect(headers.size).toBeGreaterThan(10);
    const doc = read('docs/http.md');
    expect([...headers].filter((h) => !doc.includes(`\`${h}`))).toEqual([]);
  });

  it('docs/operations.md names every flag of `switchyard serve`', () => {
    const usage = /const USAGE = `([\s\S]*?)`;/.exec(read('src/cli.ts'))?.[1] ?? '';
    const flags = new Set([...usage.matchAll(/(?<![\w-])--([a-z][a-z-]*)/g)].map((m) => `--${m[1]}`));
    expect(flags.size).toBeGreaterThan(8);
    const doc = read('docs/operations.md');
    expect([...flags].filter((f) => !doc.includes(`\`${f}`) && !doc.includes(`, ${f}`))).toEqual([]);
  });

  it('docs/development.md places every folder of src/', () => {
    const folders = readdirSync(join(root, 'src'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `src/${e.name}/`);
    const doc = read('docs/development.md');
    expect(folders.filter((f) => !doc.includes(`\`${f}`))).toEqual([]);
  });
});
