/**
 * @module
 * A second peer: nullplatform's LLM Gateway (`@nullplatform/llm-gateway`, a standalone
 * Node gateway on Express with model routing and fallbacks), installed on demand into
 * `.bench/nullplatform/` (ignored by git, never a dependency of the library) and set up
 * as its README's quick start does: models with an `openai` provider (here pointing at
 * the mocks through `baseUrl`), and one project per upstream with the bundled
 * `model-router` plugin. Its log level is `warn`, so it does not log every request.
 * Version 2.0.11's SDK names itself as a dependency in a version that was never
 * published: an npm override pins it to the one that was. Anything that goes wrong makes
 * it "unavailable" with the reason; the rest of the bench runs on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, waitForHttp, type Procs } from './procs.js';

/** The version measured; set BENCH_NULLPLATFORM_VERSION to try another. */
export const NULLPLATFORM_VERSION = process.env.BENCH_NULLPLATFORM_VERSION ?? '2.0.11';
const OVERRIDES = { '@nullplatform/llm-gateway-sdk': '2.0.2' };
const INSTALL_TIMEOUT_MS = 180_000; // 3 min
const CLI = 'node_modules/@nullplatform/llm-gateway/dist/cli.js';

export type PeerStatus = { ok: true; version: string; port: number; pid: number; child: ChildProcess } | { ok: false; reason: string };

/** The upstreams it routes to, by project: `/{project}/openai/v1/chat/completions`. */
export type NullplatformProjects = Record<'fast' | 'paced' | 'slow', string>;

function versionOf(file: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

async function install(dir: string, log: string): Promise<string> {
  const gateway = path.join(dir, 'node_modules/@nullplatform/llm-gateway/package.json');
  if (versionOf(gateway) === NULLPLATFORM_VERSION) return NULLPLATFORM_VERSION;
  mkdirSync(dir, { recursive: true });
  const manifest = { name: 'switchyard-bench-nullplatform', private: true, description: 'Installed by `npm run bench`; safe to delete.', overrides: OVERRIDES };
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const out = openSync(log, 'a');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const child = spawn(npm, ['install', '--prefix', dir, '--no-audit', '--no-fund', '--loglevel=error', `@nullplatform/llm-gateway@${NULLPLATFORM_VERSION}`], { stdio: ['ignore', out, out] });
  const timer = setTimeout(() => child.kill('SIGKILL'), INSTALL_TIMEOUT_MS);
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  clearTimeout(timer);
  if (code !== 0) throw new Error(`npm install failed (${signal ?? `exit ${code}`}); see ${log}`);
  const installed = versionOf(gateway);
  if (!installed) throw new Error(`npm install left no @nullplatform/llm-gateway; see ${log}`);
  return installed;
}

/** The gateway's configuration, as its README's quick start writes it. */
function config(port: number, upstreams: NullplatformProjects): string {
  const names = Object.keys(upstreams) as (keyof NullplatformProjects)[];
  const models = names.map(
    (name) => `  - name: bench-${name}
    isDefault: ${name === 'fast'}
    provider:
      type: "openai"
      config:
        apiKey: "sk-bench"
        baseUrl: "${upstreams[name]}"
        model: "mock-model"
        retryAttempts: 1`,
  );
  const projects = names.map(
    (name) => `  - name: ${name}
    description: "bench ${name}"
    plugins:
      - name: "router"
        type: "model-router"
        config:
          model: "bench-${name}"`,
  );
  return `server:\n  host: "127.0.0.1"\n  port: ${port}\nlogging:\n  level: "warn"\nmodels:\n${models.join('\n')}\nprojects:\n${projects.join('\n')}\n`;
}

/** Installs (if needed) and starts the gateway; never throws. */
export async function startNullplatform(procs: Procs, dir: string, log: string, upstreams: NullplatformProjects): Promise<PeerStatus> {
  let version: string;
  try {
    version = await install(dir, log);
  } catch (err) {
    return { ok: false, reason: `install: ${(err as Error).message}` };
  }
  try {
    const port = await freePort();
    writeFileSync(path.join(dir, 'gateway.yaml'), config(port, upstreams));
    if (!existsSync(path.join(dir, CLI))) throw new Error(`${CLI} is missing`);
    const out = openSync(log, 'a');
    const child = procs.track(spawn(process.execPath, [CLI, 'start', '--config', 'gateway.yaml'], { cwd: dir, stdio: ['ignore', out, out] }));
    let exit: string | undefined;
    child.once('exit', (code, signal) => (exit = String(signal ?? code)));
    await waitForHttp(port, '/health', 20_000, () => exit);
    return { ok: true, version, port, pid: child.pid!, child };
  } catch (err) {
    return { ok: false, reason: `start: ${(err as Error).message}` };
  }
}
