/**
 * @module
 * docs/configuration.md: every option of every options type a user passes, read from the
 * TSDoc in the source (see `options.ts` beside this file for the walk).
 */
import { ENTRY_POINTS, isOwnSource, type SourceProgram } from './program.js';
import { OptionWalker, type OptionRow, type OptionSection } from './options.js';
import { GENERATED_NOTE, anchorOf, cell, code, tsdocToMarkdown } from './markdown.js';

/** The options types users pass, by where they pass them. */
const ROOTS: Array<{ heading: string; entry: keyof typeof ENTRY_POINTS; name: string; prefix: string; note: string }> = [
  { heading: '`createRelay(config)`', entry: 'switchyard', name: 'RelayConfig', prefix: '', note: 'The relay configuration: also what `relay.update()` and a configuration file (`loadConfigFile`) take.' },
  { heading: 'Handler options', entry: 'switchyard', name: 'NodeHandlerOptions', prefix: '', note: 'What `relay.nodeHandler(options)`, `expressRelay(relay, options)` and `koaRelay(relay, options)` take: the routes served besides the API.' },
  { heading: '`SwitchyardModule.forRoot()` extras', entry: 'switchyard/nest', name: 'SwitchyardModuleExtras', prefix: '', note: 'The NestJS module takes the relay configuration plus these.' },
  { heading: '`createRedisStore(options)`', entry: 'switchyard/redis', name: 'RedisStoreOptions', prefix: '', note: 'The shared store for several instances (see [Running several instances](redis.md)).' },
  { heading: '`prometheusMetrics(relay, options)`', entry: 'switchyard/metrics', name: 'PrometheusMetricsOptions', prefix: '', note: 'The Prometheus exporter (see [Observability](observability.md)).' },
  { heading: '`new JsonLinesFileSink(options)`', entry: 'switchyard', name: 'JsonLinesFileSinkOptions', prefix: '', note: 'The request log’s file sink (see [Observability](observability.md#request-log)).' },
  { heading: '`watchConfigFile(relay, path, options)`', entry: 'switchyard', name: 'WatchConfigFileOptions', prefix: '', note: 'Live configuration from a file (see [Operations](operations.md#configuration-files)).' },
  { heading: '`createMockUpstream(options)`', entry: 'switchyard/testing', name: 'MockUpstreamOptions', prefix: '', note: 'The mock upstream of `switchyard/testing` (see [Testing](testing.md)).' },
];

export function configurationPage(program: SourceProgram): string {
  const walker = new OptionWalker(program.checker, (node) => isOwnSource(program.root, node), anchorOf);
  const parts: OptionSection[][] = ROOTS.map((root) => {
    const sections = walker.document(program.exported(ENTRY_POINTS[root.entry], root.name), root.heading, root.prefix, 2);
    sections[0]!.intro = [root.note, sections[0]!.intro].filter(Boolean).join('\n\n');
    return sections;
  });

  const out: string[] = [
    '# Configuration reference',
    '',
    GENERATED_NOTE('the TSDoc of the options types (`src/options.ts`, `src/options/*.ts` and the types each entry point exports)'),
    '',
    'Paths are written as in the configuration object: `providers.<name>.timeouts.idleMs` is',
    '`{ providers: { anyName: { timeouts: { idleMs } } } }`, and `targets[]` is any element of the',
    '`targets` list. Every default lives in one place, `DEFAULTS` in `src/options.ts`. `createRelay`',
    'validates the whole configuration once and throws an `InvalidConfigError` naming the path',
    'of the bad field, e.g. `models["gpt-4.1"].targets[1].provider: unknown provider "bakup"',
    '(configured: primary, backup)`; unknown options are errors too, so a typo never passes',
    'silently. `relay.update()` validates the same way and changes nothing when it throws.',
    '',
    '## Contents',
    '',
  ];
  for (const sections of parts) {
    for (const s of sections.filter((x) => x.level <= 3)) {
      out.push(`${'  '.repeat(s.level - 2)}- [${s.heading}](#${anchorOf(s.heading)})`);
    }
  }
  out.push('');
  for (const sections of parts) {
    for (const s of sections) out.push(...renderSection(s));
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

function renderSection(s: OptionSection): string[] {
  const out = [`${'#'.repeat(s.level)} ${s.heading}`, ''];
  if (s.intro) out.push(tsdocToMarkdown(s.intro), '');
  for (const example of s.examples) out.push(example.startsWith('```') ? example : `\`\`\`ts\n${example}\n\`\`\``, '');
  if (s.rows.length > 0) {
    out.push('| Option | Type | Default | Description |', '|---|---|---|---|');
    for (const row of s.rows) out.push(renderRow(row));
    out.push('');
  }
  return out;
}

function renderRow(row: OptionRow): string {
  let description = tsdocToMarkdown(row.description);
  if (row.seeAlso) {
    const except = row.seeAlso.except.length > 0 ? ` except ${row.seeAlso.except.map(code).join(', ')}` : '';
    const link = `[${row.seeAlso.label}](#${row.seeAlso.anchor})`;
    const tail = row.seeAlso.label === code(row.path) ? `Fields: see ${link}.` : `Fields as in ${link}${except}.`;
    description = description ? `${description} ${tail}` : tail;
  }
  return `| ${code(row.path)} | ${code(row.type)} | ${row.default ? defaultText(row.default) : ''} | ${cell(description)} |`;
}

/** A default as code where it is a value, as text where it is a sentence. */
function defaultText(text: string): string {
  if (text === '(required)') return 'required';
  if (text.includes('`')) return cell(text);
  const value = /^(\{.*\}|\[.*\]|new [\w.]+\(.*\)|'[^']*'|[\w.-]+)$/;
  if (value.test(text)) return code(text);
  const withNote = /^('[^']*'|[\w.-]+) (\(.*\))$/.exec(text);
  if (withNote) return `${code(withNote[1]!)} ${cell(withNote[2]!)}`;
  return cell(text);
}
