/**
 * The layout the style guide asks for, checked so it cannot drift: no import cycles in
 * the core or the adapters (type-only imports included: types live where both sides
 * import them), and no file in `src/` over 300 lines without a reason in its header.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const MAX_LINES = 300;

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const files = ['src', 'adapters'].flatMap((d) => walk(join(root, d)));
const source = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));

/** Relative imports of a file, type-only ones and `import('…')` types included. */
function imports(file: string): string[] {
  const text = source.get(file)!;
  const specs = [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/g), ...text.matchAll(/import\('(\.[^']+)'\)/g)].map((m) => m[1]!);
  return specs.map((s) => normalize(join(dirname(file), s.replace(/\.js$/, '.ts')))).filter((p) => source.has(p));
}

/** Strongly connected components with more than one file (Tarjan). */
function cycles(): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let i = 0;
  const visit = (v: string) => {
    index.set(v, i);
    low.set(v, i++);
    stack.push(v);
    onStack.add(v);
    for (const w of imports(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(relative(root, w));
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return out;
}

describe('layout', () => {
  it('has no import cycles, type-only ones included', () => {
    expect(cycles()).toEqual([]);
  });

  it(`keeps files in src/ under ${MAX_LINES} lines, or says why in their header`, () => {
    const long = files
      .filter((f) => f.includes(`${join(root, 'src')}`))
      .filter((f) => source.get(f)!.split('\n').length > MAX_LINES)
      .filter((f) => !/Longer than \d+ lines because/.test(source.get(f)!.slice(0, 1_500)))
      .map((f) => relative(root, f));
    expect(long).toEqual([]);
  });
});
