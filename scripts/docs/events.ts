/**
 * @module
 * docs/events.md: every event of `relay.on()` with its payload, read from the TSDoc of
 * `RelayEventMap` (`src/events.ts`) and the types its payloads are made of.
 */
import ts from 'typescript';
import { ENTRY_POINTS, isOwnSource, type SourceProgram } from './program.js';
import { GENERATED_NOTE, anchorOf, cell, code, tsdocToMarkdown } from './markdown.js';

export function eventsPage(program: SourceProgram): string {
  const { checker } = program;
  const map = checker.getDeclaredTypeOfSymbol(program.exported(ENTRY_POINTS.switchyard, 'RelayEventMap'));
  const events = checker.getPropertiesOfType(map);
  const out: string[] = [
    '# Events',
    '',
    GENERATED_NOTE('the TSDoc of `RelayEventMap` in `src/events.ts`'),
    '',
    '```ts',
    "const off = relay.on('failover', (e) => log.warn(e, 'llm failover'));",
    'off(); // unsubscribes',
    '```',
    '',
    'Payloads are built only when someone listens; a listener that throws is ignored and never',
    'breaks a request. Payloads never hold a key, and never prompt or completion text except',
    'in `content`, which is emitted only when the host opted in: upstream error messages (which',
    'may quote the prompt) reach the client’s error body but not events. `model` is the public model or',
    'chain; for a client’s per-request fallback list (`models: [...]`) it is the constant',
    '`(request fallbacks)`, so a client cannot mint metric label values. What is built on these',
    'events (traces, the request log, alerts, metrics) is in [Observability](observability.md).',
    '',
    '| Event | When |',
    '|---|---|',
  ];
  for (const event of events) out.push(`| [${code(event.name)}](#${anchorOf(event.name)}) | ${cell(firstSentence(doc(checker, event)))} |`);
  out.push('');
  for (const event of events) {
    out.push(`## ${event.name}`, '', tsdocToMarkdown(doc(checker, event)), '');
    const decl = event.declarations?.[0];
    const payload = decl ? checker.getTypeOfSymbolAtLocation(event, decl) : checker.getTypeOfSymbol(event);
    const named = payload.aliasSymbol ?? payload.getSymbol();
    if (named && !(named.flags & ts.SymbolFlags.TypeLiteral) && named.declarations?.some((d) => isOwnSource(program.root, d)) && !payload.isIntersection()) {
      out.push(`Payload: \`${named.name}\`.`, '');
    }
    const fields = checker.getPropertiesOfType(payload);
    if (fields.length === 0) continue;
    out.push('| Field | Type | Description |', '|---|---|---|');
    for (const field of fields) {
      const d = field.declarations?.[0];
      const optional = d && ts.isPropertySignature(d) && d.questionToken ? '?' : '';
      const type = d && ts.isPropertySignature(d) && d.type ? d.type.getText().replace(/\s+/g, ' ') : checker.typeToString(checker.getTypeOfSymbol(field));
      out.push(`| ${code(field.name + optional)} | ${code(type)} | ${cell(tsdocToMarkdown(doc(checker, field)))} |`);
    }
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function doc(checker: ts.TypeChecker, symbol: ts.Symbol): string {
  return ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
}

function firstSentence(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  const end = flat.search(/\.(\s|$)/);
  return end === -1 ? flat : flat.slice(0, end + 1);
}
