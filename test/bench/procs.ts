/**
 * @module
 * Child processes of the bench: bundling the TypeScript children into plain ESM (so no
 * TypeScript loader sits in their memory or CPU), starting them with an IPC channel,
 * reading their memory from /proc, and killing every one of them at the end, on error
 * and on Ctrl-C.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { Channel, type Ready } from './ipc.js';

/** A started child: its process, its IPC channel and the port it listens on. */
export interface Started {
  name: string;
  child: ChildProcess;
  channel: Channel;
  port: number;
}

export class Procs {
  private readonly children = new Set<ChildProcess>();

  /** Tracks a child started elsewhere, so it is killed with the rest. */
  track(child: ChildProcess): ChildProcess {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /**
   * Starts `node [execArgv] script` with an IPC channel and resolves once it says it is
   * ready. Its output goes to `log` (a file) or to this process's stderr.
   */
  async start(name: string, script: string, options: { env?: NodeJS.ProcessEnv; execArgv?: string[]; log?: string; cwd?: string }): Promise<Started> {
    const out = options.log ? openSync(options.log, 'w') : 'inherit';
    const spawnOptions: SpawnOptions = {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', out, out, 'ipc'],
    };
    const child = this.track(spawn(process.execPath, [...(options.execArgv ?? []), script], spawnOptions));
    const channel = new Channel(child, name);
    const ready = await new Promise<Ready>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start within 30 s`)), 30_000);
      child.on('message', (m: Ready) => {
        if ('ready' in m) {
          clearTimeout(timer);
          resolve(m);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited while starting (${signal ?? code})`));
      });
    });
    return { name, child, channel, port: ready.port ?? 0 };
  }

  /** Asks a child to exit cleanly (so `--cpu-prof` writes its profile), then kills it. */
  async stop(child: ChildProcess, timeoutMs = 5_000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  /** Process ids of the children still running. */
  pids(): number[] {
    return [...this.children].map((c) => c.pid).filter((p): p is number => p !== undefined);
  }

  /** Kills every child still running, at once. Safe to call from an `exit` handler. */
  killAll(): void {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    this.children.clear();
  }
}

/** Bundles the child entry points with esbuild; `switchyard` resolves to src/ through tsconfig paths. */
export async function bundle(root: string, outdir: string): Promise<{ server: string; load: string }> {
  const { build } = await import('esbuild');
  rmSync(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: { server: 'test/bench/servers.ts', load: 'test/bench/load.ts' },
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    // Each server loads only its own framework: the dynamic imports become chunks.
    splitting: true,
    target: 'node20',
    tsconfig: path.join(root, 'tsconfig.json'),
    // Frameworks, undici, autocannon: loaded from node_modules as users load them.
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'error',
  });
  return { server: path.join(outdir, 'server.mjs'), load: path.join(outdir, 'load.mjs') };
}

/** Resident memory of a process, from /proc: current and peak (since the last reset), in MiB. */
export function memoryOf(pid: number): { rssMB: number; hwmMB: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMB: kb('VmRSS') / 1024, hwmMB: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** Resets the peak-RSS counter (VmHWM) of a process; false where the kernel does not allow it. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** A port nothing listens on (connections to it are refused). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  server.close();
  await once(server, 'close');
  return port;
}

/** Whether `port` can be bound on every interface (as Portkey's gateway binds it). */
export async function portIsFree(port: number): Promise<boolean> {
  const server = net.createServer();
  try {
    server.listen(port);
    await once(server, 'listening');
    server.close();
    await once(server, 'close');
    return true;
  } catch {
    return false;
  }
}

/** CPU time (user + system, in clock ticks) of the given processes; ones that are gone count 0. */
function ticksOf(pids: number[]): number {
  let sum = 0;
  for (const pid of pids) {
    try {
      // The command name may hold spaces: fields are counted after its closing parenthesis.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      sum += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      // exited
    }
  }
  return sum;
}

/** CPU time (user + system) a process has used so far, in seconds (10 ms resolution). */
export function cpuSeconds(pid: number): number {
  return ticksOf([pid]) / 100; // USER_HZ
}

/** The whole machine's busy CPU time (user + nice + system) and steal, in clock ticks. */
function machineTicks(): { busy: number; steal: number } | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    return { busy: cpu[0]! + cpu[1]! + cpu[2]!, steal: cpu[7] ?? 0 };
  } catch {
    return undefined;
  }
}

/**
 * Watches how much CPU processes other than the bench's own use while something runs:
 * on a shared machine a test suite running next door shows up in every latency. Returns
 * cores' worth (0.25 = a quarter of one core on average), or undefined off Linux.
 */
export class Interference {
  private start?: { at: number; busy: number; steal: number; ours: number };

  constructor(private readonly pids: () => number[]) {}

  begin(): void {
    const m = machineTicks();
    this.start = m && { at: Date.now(), ...m, ours: ticksOf(this.pids()) };
  }

  /** Foreign CPU and steal since `begin()`, in cores. */
  end(): { foreign: number; steal: number } | undefined {
    const s = this.start;
    const m = machineTicks();
    if (!s || !m) return undefined;
    const seconds = (Date.now() - s.at) / 1000;
    if (seconds <= 0) return undefined;
    const hz = 100; // USER_HZ on Linux
    const ours = ticksOf(this.pids()) - s.ours;
    return {
      foreign: Math.max(0, (m.busy - s.busy - ours) / hz / seconds),
      steal: (m.steal - s.steal) / hz / seconds,
    };
  }
}

/**
 * Resolves once something answers HTTP on `port` at `urlPath` (any status), or rejects
 * after `ms`, or as soon as `exited()` says the process is gone.
 */
export async function waitForHttp(port: number, urlPath: string, ms: number, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const why = exited();
    if (why) throw new Error(`gateway exited while starting (${why})`);
    const answered = await new Promise<boolean>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: urlPath, timeout: 1_000 }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
    });
    if (answered) return;
    if (Date.now() > deadline) throw new Error(`gateway did not answer on port ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
