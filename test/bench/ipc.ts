/**
 * @module
 * Request/response over Node's IPC channel between the bench orchestrator and its
 * child processes (servers, load generator): each call carries an id, each answer the
 * same id with a result or an error message.
 */
import type { ChildProcess } from 'node:child_process';

interface Call {
  id: number;
  cmd: string;
  args: unknown;
}
interface Answer {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}
/** The first message of every child: it is listening (or has nothing to listen on). */
export interface Ready {
  ready: true;
  port?: number;
}

/** Child side: answers the parent's calls with `handlers`, then says it is ready. */
export function serve(handlers: Record<string, (args: any) => unknown>, ready: Ready): void {
  if (!process.send) throw new Error('bench child started without an IPC channel');
  process.on('message', (message: Call) => {
    void (async () => {
      const handler = handlers[message.cmd];
      let answer: Answer;
      try {
        if (!handler) throw new Error(`unknown command ${message.cmd}`);
        answer = { id: message.id, ok: true, result: await handler(message.args) };
      } catch (err) {
        answer = { id: message.id, ok: false, error: err instanceof Error ? err.message : String(err) };
      }
      process.send!(answer);
    })();
  });
  // The parent going away (crash, SIGKILL) must not leave an orphan behind.
  process.on('disconnect', () => process.exit(0));
  process.send(ready);
}

/** Parent side: a typed `call` on a child, each bounded by its own timeout. */
export class Channel {
  private next = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }>();

  constructor(
    private readonly child: ChildProcess,
    private readonly name: string,
  ) {
    child.on('message', (m: Answer | Ready) => {
      if ('ready' in m) return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${this.name}: ${m.error}`));
    });
    child.on('exit', (code, signal) => {
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new Error(`${this.name} exited (${signal ?? code}) during a call`));
        this.pending.delete(id);
      }
    });
  }

  call<T>(cmd: string, args: unknown, timeoutMs: number): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: ${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.child.send({ id, cmd, args } satisfies Call);
    });
  }
}
