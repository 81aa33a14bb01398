/**
 * @module
 * The code blocks of the documentation that are meant to run: a fenced block whose info
 * string carries a file name (```` ```ts title="server.ts" ````) is a complete file, and is
 * type-checked against the source as if it sat in the repository's root, so `switchyard`
 * and `switchyard/express` resolve as they do for `examples/`. Blocks without a title are
 * fragments and are left alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import MarkdownIt from 'markdown-it';
import ts from 'typescript';

const md = new MarkdownIt({ html: true });
const TITLED = /^(?:ts|typescript)\s+title="([^"]+\.ts)"/;

export interface Snippet {
  /** The markdown file, below the root. */
  file: string;
  /** Line of the opening fence in it (1-based). */
  line: number;
  title: string;
  code: string;
}

/** The titled TypeScript blocks of one markdown text. */
export function snippetsOf(file: string, text: string): Snippet[] {
  return md
    .parse(text, {})
    .filter((t) => t.type === 'fence')
    .flatMap((t) => {
      const title = TITLED.exec(t.info.trim())?.[1];
      return title ? [{ file, line: (t.map?.[0] ?? 0) + 1, title, code: t.content }] : [];
    });
}

/** Type errors of every snippet, each as `file:line: message` pointing into the markdown. */
export function checkSnippets(root: string, snippets: Snippet[]): string[] {
  const configPath = join(root, 'tsconfig.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error(`cannot read ${configPath}`);
  // Each snippet is a module of its own in a folder of its own in the root, so two
  // snippets may declare the same names and package.json's `"type": "module"` applies.
  const virtual = new Map(snippets.map((s, i) => [join(root, `.docs-snippet-${i}`, s.title), s]));
  const host = ts.createCompilerHost(parsed.options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => virtual.has(f) || fileExists.call(host, f);
  host.readFile = (f) => virtual.get(f)?.code ?? readFile.call(host, f);
  host.getSourceFile = (f, language, ...rest) => {
    const snippet = virtual.get(f);
    return snippet ? ts.createSourceFile(f, snippet.code, language, true) : getSourceFile.call(host, f, language, ...rest);
  };
  const program = ts.createProgram({ rootNames: [...virtual.keys()], options: { ...parsed.options, noEmit: true }, host });
  const errors: string[] = [];
  for (const [path, snippet] of virtual) {
    const file = program.getSourceFile(path)!;
    for (const d of [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]) {
      const { line } = file.getLineAndCharacterOfPosition(d.start ?? 0);
      errors.push(`${snippet.file}:${snippet.line + 1 + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')} (in ${snippet.title})`);
    }
  }
  return errors;
}

/** The snippets of several markdown files below the root. */
export function snippetsIn(root: string, files: string[]): Snippet[] {
  return files.flatMap((f) => snippetsOf(f, readFileSync(join(root, f), 'utf8')));
}
