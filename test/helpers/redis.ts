/**
 * A real `redis-server` of the test's own, on a free port of 127.0.0.1, without
 * persistence; and relay instances in child processes sharing it. Nothing here relies
 * on a system service. Without the binary the suites skip, saying how to run them;
 * with `SWITCHYARD_REQUIRE_REDIS=1` (set by `.ci/run`) a missing binary fails them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** The `redis-server` binary, or undefined when it is not installed. */
export const redisServer: string | undefined = (() => {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const file = path.join(dir, 'redis-server');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
})();

export const SKIP_MESSAGE =
  'redis-server not found: the Redis suites are skipped. Install it (Debian/Ubuntu: `apt-get install redis-server`); ' +
  'the tests start their own server on a free port, no service needed.';

/** Whether to skip the Redis suites (and say why, once). */
export function skipRedis(): boolean {
  if (redisServer) return false;
  if (process.env.SWITCHYARD_REQUIRE_REDIS === '1') throw new Error(`SWITCHYARD_REQUIRE_REDIS=1 but ${SKIP_MESSAGE}`);
  console.warn(SKIP_MESSAGE);
  return true;
}

/** A free TCP port on 127.0.0.1 (free when asked; the caller binds it next). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(200);
    socket.once('connect', () => {
      socket.write('PING\r\n');
    });
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export interface RedisServer {
  port: number;
  url: string;
  /** Kills the server (SIGKILL: a crash, not a shutdown) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Stops it for good. */
  stop(): Promise<void>;
  /** Whether it answers PING. */
  alive(): Promise<boolean>;
}

/** Starts a `redis-server` on a free port; call `stop()` in `afterAll`. */
export async function startRedis(): Promise<RedisServer> {
  if (!redisServer) throw new Error(SKIP_MESSAGE);
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const start = async () => {
    proc = track(
      spawn(redisServer!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'], {
        stdio: 'ignore',
      }),
    );
    for (let i = 0; i < 100; i++) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode} on port ${port}`);
      if (await reachable(port)) return;
      await sleep(50);
    }
    throw new Error(`redis-server did not come up on port ${port}`);
  };
  const kill = async (signal: NodeJS.Signals) => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = once(p, 'exit');
    p.kill(signal);
    await exited;
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, start, kill: () => kill('SIGKILL'), stop: () => kill('SIGTERM'), alive: () => reachable(port) };
}

/** Every child this helper started, killed if the test process exits without stopping them. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** What the instance script (`redis-instance.ts`) is started with. */
export interface InstanceOptions {
  redisPort: number;
  prefix: string;
  /** Mock upstream URLs by provider name: `a` and `b` serve model `chat`, `c` model `priced`. */
  mocks: { a: string; b: string; c: string };
  failureThreshold: number;
  cooldownMs: number;
  /** Per-caller (`x-user`) requests per minute. */
  requestsPerMinute: number;
  /** Daily budget of model `priced`, US$. */
  budgetUsd: number;
}

/** A relay instance in a child process, listening on 127.0.0.1. */
export interface Instance {
  url: string;
  stop(): Promise<void>;
}

/** Starts a relay in a child process (run under tsx) and waits for its port. */
export async function startInstance(options: InstanceOptions): Promise<Instance> {
  const child = track(
    spawn(process.execPath, ['--import', 'tsx', path.join(here, 'redis-instance.ts')], {
      env: { ...process.env, SWITCHYARD_INSTANCE: JSON.stringify(options) },
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    // Closing stdin asks for a clean shutdown; SIGKILL if it takes too long.
    child.stdin!.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('instance did not report its port within 15 s')), 15_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) {
          clearTimeout(timer);
          resolve((JSON.parse(line) as { port: number }).port);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`instance exited with ${code} before listening`));
      });
    });
    return { url: `http://127.0.0.1:${port}/v1`, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
