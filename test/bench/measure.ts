/**
 * @module
 * Taking one measurement on a machine that may be shared: a failure becomes a note
 * instead of ending the bench, the CPU other processes use meanwhile is recorded with
 * the result, and a disturbed run is measured again while the run's time allows.
 */
import { Interference, type Procs } from './procs.js';
import type { BenchResults, Disturbance } from './report.js';
import { spread } from './stats.js';

/** How long the bench may wait for quiet, and re-measure, in all (ms). */
export interface Patience {
  waitEachMs: number;
  waitTotalMs: number;
  retryTotalMs: number;
}

/** Foreign CPU (cores' worth) below which a measurement counts as undisturbed. */
export const QUIET = 0.1;
const MAX_RETRIES = 1;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Measurer {
  private readonly watch: Interference;
  private waitedMs = 0;
  private retriedMs = 0;
  private readonly disturbed: string[] = [];
  private readonly foreign: number[] = [];
  private preflight?: number;

  constructor(
    procs: Procs,
    private readonly patience: Patience,
    readonly log: (message: string) => void,
  ) {
    this.watch = new Interference(() => [process.pid, ...procs.pids()]);
  }

  /** Other processes' CPU over `ms`, before the run starts. */
  async before(ms: number): Promise<number | undefined> {
    this.watch.begin();
    await sleep(ms);
    this.preflight = this.watch.end()?.foreign;
    return this.preflight;
  }

  /** Runs `fn`, turning a failure into a note (and a log line) instead of ending the bench. */
  async attempt<T>(notes: string[], what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      const message = `${what}: ${(err as Error).message}`;
      notes.push(message);
      this.log(`! ${message}`);
      return undefined;
    }
  }

  /**
   * Like `attempt`, and watches the CPU other processes use meanwhile. A run disturbed
   * by them (another test suite on a shared machine) is measured once more while the
   * patience lasts, and the less disturbed run is kept; what was used goes with it.
   */
  async measured<T extends object>(notes: string[], what: string, fn: () => Promise<T>, who = ''): Promise<(T & Disturbance) | undefined> {
    const name = [who, what].filter(Boolean).join(' ');
    let best: (T & Disturbance) | undefined;
    for (let i = 0; i <= MAX_RETRIES; i++) {
      await this.quiet();
      const t0 = Date.now();
      this.watch.begin();
      const r = await this.attempt(notes, what, fn);
      const cpu = this.watch.end();
      if (i > 0) this.retriedMs += Date.now() - t0;
      if (!r) break;
      const result: T & Disturbance = { ...r, foreignCores: cpu?.foreign, stealCores: cpu?.steal };
      if (cpu) this.foreign.push(cpu.foreign);
      if (!best || (result.foreignCores ?? 0) < (best.foreignCores ?? 0)) best = result;
      if (!cpu || cpu.foreign < QUIET) break;
      if (i === MAX_RETRIES || this.retriedMs + (Date.now() - t0) > this.patience.retryTotalMs) break;
      this.log(`  (${name}: other processes used ${cpu.foreign.toFixed(2)} cores meanwhile; measuring again)`);
    }
    if (best?.foreignCores !== undefined && best.foreignCores >= QUIET) this.disturbed.push(`${name}: ${best.foreignCores.toFixed(2)} cores`);
    return best;
  }

  /** What the run saw of other processes, for the results. */
  interference(): BenchResults['interference'] {
    return {
      quietBelowCores: QUIET,
      preflightCores: this.preflight,
      perMeasurementCores: spread(this.foreign),
      disturbed: this.disturbed,
      waitedSeconds: Math.round(this.waitedMs / 1000),
    };
  }

  /** Waits (bounded by the patience) until other processes use less than QUIET cores. */
  private async quiet(): Promise<void> {
    const start = Date.now();
    for (;;) {
      const spent = Date.now() - start;
      if (spent >= this.patience.waitEachMs || this.waitedMs + spent >= this.patience.waitTotalMs) break;
      this.watch.begin();
      await sleep(300);
      const cpu = this.watch.end();
      if (!cpu || cpu.foreign < QUIET) break;
    }
    this.waitedMs += Date.now() - start;
  }
}
