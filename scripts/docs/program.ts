/**
 * @module
 * The TypeScript program the reference generators read: the repository's own
 * `tsconfig.json` (so `switchyard/*` resolves to the source), rooted at the public entry
 * points, and a lookup of an exported declaration by the name users import it by.
 */
import { dirname, join } from 'node:path';
import ts from 'typescript';

export interface SourceProgram {
  root: string;
  checker: ts.TypeChecker;
  /** The declaration exported as `name` from `entry` (a path below the root), aliases followed. */
  exported(entry: string, name: string): ts.Symbol;
  /** The parsed file at `path` below the root. */
  sourceFile(path: string): ts.SourceFile;
  /** The repository's own files in the program (no declaration files), in a stable order. */
  ownFiles(): ts.SourceFile[];
}

/** The public entry points, as `tsup.config.ts` builds them. */
export const ENTRY_POINTS = {
  switchyard: 'src/index.ts',
  'switchyard/express': 'adapters/express/index.ts',
  'switchyard/koa': 'adapters/koa/index.ts',
  'switchyard/nest': 'adapters/nest/index.ts',
  'switchyard/metrics': 'src/metrics.ts',
  'switchyard/redis': 'src/redis.ts',
  'switchyard/testing': 'src/testing/index.ts',
} as const;

export function createSourceProgram(root: string): SourceProgram {
  const configPath = join(root, 'tsconfig.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error(`cannot read ${configPath}`);
  const rootNames = Object.values(ENTRY_POINTS).map((p) => join(root, p));
  const program = ts.createProgram({ rootNames, options: { ...parsed.options, noEmit: true } });
  const checker = program.getTypeChecker();
  const sourceFile = (path: string) => {
    const file = program.getSourceFile(join(root, path));
    if (!file) throw new Error(`${path} is not in the program`);
    return file;
  };
  return {
    root,
    checker,
    sourceFile,
    ownFiles: () =>
      program
        .getSourceFiles()
        .filter((f) => !f.isDeclarationFile && isOwnSource(root, f))
        .sort((a, b) => (a.fileName < b.fileName ? -1 : 1)),
    exported(entry, name) {
      const moduleSymbol = checker.getSymbolAtLocation(sourceFile(entry));
      if (!moduleSymbol) throw new Error(`no module at ${entry}`);
      const symbol = checker.getExportsOfModule(moduleSymbol).find((s) => s.name === name);
      if (!symbol) throw new Error(`${entry} exports no ${name}`);
      return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    },
  };
}

/** Whether a declaration lives in the repository's own source (not `node_modules`). */
export function isOwnSource(root: string, node: ts.Node): boolean {
  const file = node.getSourceFile().fileName;
  return file.startsWith(dirname(join(root, 'x'))) && !file.includes('/node_modules/');
}
