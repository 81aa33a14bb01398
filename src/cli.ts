#!/usr/bin/env node
/**
 * @module
 * The `switchyard` command. `switchyard serve --config switchyard.json` runs the relay as
 * a standalone gateway (a sidecar); `switchyard --help` lists the flags.
 */
import { parseArgs } from 'node:util';
import { startSidecar } from './sidecar.js';

const USAGE = `Usage: switchyard serve --config <file> [options]

Runs the relay as a standalone gateway under /v1: POST /v1/chat/completions,
/v1/embeddings, /v1/responses (GET and DELETE /v1/responses/{id}), /v1/messages and
/v1/messages/count_tokens, and GET /v1/models.

Options:
  -c, --config <file>        configuration file: JSON, or YAML (.yaml/.yml) with the
                             \`yaml\` package installed; keys via apiKeyEnv (required)
  -p, --port <n>             port to listen on; 0 picks a free one (default 8787)
      --host <addr>          address to listen on (default 127.0.0.1)
      --client-key-env <NAME>
                             require clients to send Authorization: Bearer <value of
                             the environment variable NAME>
      --watch                apply edits of the configuration file while running; a
                             broken edit is logged and the previous config stays
      --health               GET /v1/health
      --stats                GET /v1/stats
      --dashboard            GET /v1/dashboard (and /v1/stats, /v1/requests)
      --requests             GET /v1/requests: the request log, JSON or live (SSE)
      --metrics              GET /v1/metrics, Prometheus (needs prom-client)
      --admin                GET /v1/admin/targets, POST /v1/admin/breaker and /v1/admin/drain
      --debug                honour x-switchyard-debug: 1 (per-attempt details and
                             upstream messages for every client; off by default)
      --drain-ms <ms>        on SIGTERM or SIGINT, let requests in flight finish for up
                             to this long, then exit (default 10000)
  -h, --help                 show this help

Example:
  OPENAI_API_KEY=sk-... SWITCHYARD_CLIENT_KEY=secret \\
    npx switchyard serve --config switchyard.json --client-key-env SWITCHYARD_CLIENT_KEY --health
`;

/** A mistake in the command line: exit status 2, with a pointer to --help. */
class UsageError extends Error {}

function integer(value: string, flag: string, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > max) throw new UsageError(`${flag} expects an integer from 0 to ${max}, got "${value}"`);
  return n;
}

async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string', short: 'p', default: '8787' },
      host: { type: 'string', default: '127.0.0.1' },
      'client-key-env': { type: 'string' },
      watch: { type: 'boolean', default: false },
      health: { type: 'boolean', default: false },
      stats: { type: 'boolean', default: false },
      dashboard: { type: 'boolean', default: false },
      requests: { type: 'boolean', default: false },
      metrics: { type: 'boolean', default: false },
      admin: { type: 'boolean', default: false },
      debug: { type: 'boolean', default: false },
      'drain-ms': { type: 'string', default: '10000' },
    },
  });
  if (!values.config) throw new UsageError('--config <file> is required');
  const port = integer(values.port, '--port', 65_535);
  const drainMs = integer(values['drain-ms'], '--drain-ms', 2 ** 31 - 1);
  const keyEnv = values['client-key-env'];
  const clientKey = keyEnv === undefined ? undefined : process.env[keyEnv];
  // Asked for a key that is not there: refuse to start rather than serve without one.
  if (keyEnv !== undefined && !clientKey) throw new UsageError(`--client-key-env: environment variable ${keyEnv} is not set`);

  const log = (line: string) => console.log(`switchyard: ${line}`);
  const { health, stats, dashboard, metrics, admin, requests } = values;
  const sidecar = await startSidecar({
    config: values.config,
    port,
    host: values.host,
    clientKey,
    routes: { health, stats, dashboard, metrics, admin, requests },
    debug: values.debug,
    watch: values.watch,
    log,
  });
  if (sidecar.framework === 'node:http') log('express is not installed: serving with node:http (same routes)');
  const extra = Object.entries({ health, stats, dashboard, metrics, admin, requests, debug: values.debug }).filter(([, on]) => on).map(([name]) => name);
  log(`listening on ${sidecar.url} (${sidecar.framework}; config ${values.config}${values.watch ? ', watched' : ''}${extra.length ? `; ${extra.join(', ')}` : ''}${keyEnv ? `; client key from ${keyEnv}` : ''})`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    log(`${signal}: draining requests in flight for up to ${drainMs} ms`);
    sidecar.close(drainMs).then(
      () => {
        log('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        console.error('switchyard: shutdown failed:', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** Runs the command line; resolves with the exit status when the command ended by itself. */
async function main(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    process.stderr.write(USAGE);
    return 2;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command !== 'serve') {
    console.error(`switchyard: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    await serve(rest);
    return undefined;
  } catch (err) {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const message = err instanceof Error ? err.message : String(err);
    console.error(`switchyard: ${message}${usage ? ' (see switchyard --help)' : ''}`);
    return usage ? 2 : 1;
  }
}

void main(process.argv.slice(2)).then((status) => {
  if (status !== undefined) process.exitCode = status;
});
