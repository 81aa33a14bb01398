/**
 * @module
 * Portkey's open-source gateway as the peer to compare with. It is installed on demand
 * into `.bench/portkey/` (ignored by git, never a dependency of the library), with
 * `@hono/node-server` pinned to 1.13.5: its streaming breaks with newer versions
 * (Portkey issue 1389). Anything that goes wrong here makes Portkey "unavailable" with
 * the reason; the rest of the bench runs on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { portIsFree, freePort, waitForHttp, type Procs } from './procs.js';

/** The version measured; set BENCH_PORTKEY_VERSION to try another. */
export const PORTKEY_VERSION = process.env.BENCH_PORTKEY_VERSION ?? '1.15.2';
const OVERRIDES = { '@hono/node-server': '1.13.5', '@hono/node-ws': '1.2.0' };
/** The gateway's own default port. */
const DEFAULT_PORT = 8787;
const INSTALL_TIMEOUT_MS = 180_000; // 3 min

export type PortkeyStatus = { ok: true; version: string; port: number; pid: number; child: ChildProcess } | { ok: false; reason: string };

function versionOf(file: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** Installs the gateway into `dir` unless the right version is already there. */
async function install(dir: string, log: string): Promise<string> {
  const gateway = path.join(dir, 'node_modules/@portkey-ai/gateway/package.json');
  const hono = path.join(dir, 'node_modules/@hono/node-server/package.json');
  if (versionOf(gateway) === PORTKEY_VERSION && versionOf(hono) === OVERRIDES['@hono/node-server']) return PORTKEY_VERSION;
  mkdirSync(dir, { recursive: true });
  const manifest = { name: 'switchyard-bench-portkey', private: true, description: 'Installed by `npm run bench`; safe to delete.', overrides: OVERRIDES };
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const out = openSync(log, 'a');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const child = spawn(npm, ['install', '--prefix', dir, '--no-audit', '--no-fund', '--loglevel=error', `@portkey-ai/gateway@${PORTKEY_VERSION}`], {
    stdio: ['ignore', out, out],
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), INSTALL_TIMEOUT_MS);
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  clearTimeout(timer);
  if (code !== 0) throw new Error(`npm install failed (${signal ?? `exit ${code}`}); see ${log}`);
  const installed = versionOf(gateway);
  if (!installed) throw new Error(`npm install left no @portkey-ai/gateway; see ${log}`);
  const pinned = versionOf(hono);
  if (pinned !== OVERRIDES['@hono/node-server']) throw new Error(`@hono/node-server is ${pinned}, not the pinned ${OVERRIDES['@hono/node-server']}`);
  return installed;
}

/** Installs (if needed) and starts the gateway; never throws. */
export async function startPortkey(procs: Procs, dir: string, log: string): Promise<PortkeyStatus> {
  let version: string;
  try {
    version = await install(dir, log);
  } catch (err) {
    return { ok: false, reason: `install: ${(err as Error).message}` };
  }
  try {
    // The gateway's documented port; another one only if something already holds it.
    const port = (await portIsFree(DEFAULT_PORT)) ? DEFAULT_PORT : await freePort();
    const out = openSync(log, 'a');
    const args = ['node_modules/@portkey-ai/gateway/build/start-server.js', '--headless'];
    if (port !== DEFAULT_PORT) args.push(`--port=${port}`);
    if (!existsSync(path.join(dir, args[0]!))) throw new Error(`${args[0]} is missing`);
    const child = procs.track(spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', out, out] }));
    let exit: string | undefined;
    child.once('exit', (code, signal) => (exit = String(signal ?? code)));
    await waitForHttp(port, '/', 20_000, () => exit);
    return { ok: true, version, port, pid: child.pid!, child };
  } catch (err) {
    return { ok: false, reason: `start: ${(err as Error).message}` };
  }
}
