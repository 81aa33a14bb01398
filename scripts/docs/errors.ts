/**
 * @module
 * docs/errors.md: every code of the error catalogue (`src/errors/catalog.ts`) with its
 * status, envelope type and code, what a Messages client receives instead, and the class
 * that carries it; then the failure kinds of an attempt with their default action
 * (`DEFAULT_RULES`). The values come from the code itself, not from a copy.
 */
import ts from 'typescript';
import { ERROR_CATALOG, type CatalogEntry } from '../../src/errors/catalog.js';
import { anthropicErrorType, anthropicStatus } from '../../src/formats/messages/errors.js';
import { DEFAULT_RULES } from '../../src/options.js';
import { ENTRY_POINTS, type SourceProgram } from './program.js';
import { GENERATED_NOTE, anchorOf, cell, code, tsdocToMarkdown } from './markdown.js';

const ACTION: Record<string, string> = {
  retry: 'retry the same target with backoff, then the next target',
  fallback: 'the next target at once',
  return: 'return the error to the client at once',
};

export function errorsPage(program: SourceProgram): string {
  const classes = errorClasses(program);
  const entries = Object.entries(ERROR_CATALOG) as Array<[string, CatalogEntry]>;
  const out: string[] = [
    '# Errors',
    '',
    GENERATED_NOTE('the error catalogue `src/errors/catalog.ts`, the Messages mapping in `src/formats/messages/errors.ts` and `DEFAULT_RULES` in `src/options.ts`'),
    '',
    'Every error switchyard throws or answers is a `SwitchyardError` with a stable `code`;',
    '`isSwitchyardError(err)` recognises one across two copies of the package. Chat Completions,',
    'Responses and Embeddings clients receive OpenAI’s envelope',
    '`{"error":{"message","type","code","param"}}` with the status below; errors about upstream',
    'attempts (5xx, 429, `unsupported_request`) add `error.attempts`, one entry per attempt',
    '(provider, model, outcome, status, latency; never a key). Messages clients receive',
    'Anthropic’s envelope `{"type":"error","error":{"type","message"}}` with the status and type',
    'in the Messages column, so Anthropic’s SDK retries what Anthropic would have it retry.',
    '`Retry-After` and `x-ratelimit-*` headers are the same for every format. How the relay',
    'decides between retrying, failing over and answering is in [Failover](failover.md).',
    '',
    '## Codes',
    '',
    '| `SwitchyardError.code` | Status | `error.type` | `error.code` | Messages status and type | When |',
    '|---|---|---|---|---|---|',
  ];
  for (const [name, e] of entries) {
    const messages = anthropicStatus(e.status);
    out.push(`| [${code(name)}](#${anchorOf(name)}) | ${e.status} | ${code(e.type)} | ${code(e.openaiCode)} | ${messages} ${code(anthropicErrorType(messages))} | ${cell(e.summary)} |`);
  }
  out.push(
    '',
    'A 4xx an upstream gave for the request itself (`ERR_SWITCHYARD_UPSTREAM_REJECTED`) keeps the',
    'upstream’s own status, type and code; the table shows the catalogue’s fallback. A stream that',
    'breaks after its first content cannot change its status any more: the client receives',
    '`ERR_SWITCHYARD_STREAM_INTERRUPTED` as an error event in its own format',
    '(see [Streaming](streaming.md)).',
    '',
  );
  for (const [name, e] of entries) {
    out.push(`### ${name}`, '', tsdocToMarkdown(e.summary), '');
    const thrown = classes.get(name) ?? [];
    const messages = anthropicStatus(e.status);
    out.push(`- HTTP ${e.status}, \`"type": "${e.type}"\`, \`"code": "${e.openaiCode}"\``);
    out.push(`- Messages clients: HTTP ${messages}, \`"type": "${anthropicErrorType(messages)}"\``);
    for (const cls of thrown) {
      const name = cls.exported ? `[\`${cls.name}\`](api/switchyard/classes/${cls.name}.md)` : `\`${cls.name}\``;
      out.push(`- Class ${name}${cls.exported ? '' : ' (not exported: match on `code`)'}${cls.doc ? `: ${tsdocToMarkdown(cls.doc)}` : ''}`);
    }
    out.push('');
  }
  out.push(
    '## Failure kinds',
    '',
    'Each failed upstream attempt is classified as one kind; `rules` (globally, per provider or',
    'per target) maps a kind or an HTTP status to `retry`, `fallback` or `return`. The defaults:',
    '',
    '| Kind | Default action |',
    '|---|---|',
  );
  for (const [kind, action] of Object.entries(DEFAULT_RULES)) out.push(`| ${code(kind)} | \`${action}\`: ${ACTION[action] ?? action} |`);
  out.push('');
  return `${out.join('\n').trimEnd()}\n`;
}

/**
 * The error class of each code: a class extending `SwitchyardError` whose constructor
 * passes the code to `super`, found in the source so a new class shows up by itself.
 */
type ErrorClass = { name: string; doc: string; exported: boolean };

function errorClasses(program: SourceProgram): Map<string, ErrorClass[]> {
  const exported = new Set(program.checker.getExportsOfModule(program.checker.getSymbolAtLocation(program.sourceFile(ENTRY_POINTS.switchyard))!).map((s) => s.name));
  const found = new Map<string, ErrorClass[]>();
  for (const file of program.ownFiles()) {
    ts.forEachChild(file, function visit(node) {
      if (ts.isClassDeclaration(node) && node.name) {
        const ctor = node.members.find(ts.isConstructorDeclaration);
        ctor?.body?.forEachChild(function find(n): void {
          if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.SuperKeyword) {
            const first = n.arguments[0];
            if (first && ts.isStringLiteral(first) && first.text.startsWith('ERR_SWITCHYARD_')) {
              const symbol = program.checker.getSymbolAtLocation(node.name!);
              const doc = symbol ? ts.displayPartsToString(symbol.getDocumentationComment(program.checker)).trim() : '';
              const list = found.get(first.text) ?? [];
              list.push({ name: node.name!.text, doc, exported: exported.has(node.name!.text) });
              found.set(first.text, list);
            }
          }
          n.forEachChild(find);
        });
      }
      ts.forEachChild(node, visit);
    });
  }
  return found;
}
