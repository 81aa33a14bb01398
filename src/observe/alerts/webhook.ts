/**
 * @module
 * Posts alert events to a webhook: one at a time, in order, each with a timeout and a
 * bounded number of tries with exponential backoff. It runs on its own: no request waits
 * for it, and a receiver that is down only loses alerts (the queue is bounded).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AlertWebhookOptions } from '../../options.js';
import type { AlertEvent } from './types.js';

/** Alerts waiting for delivery; past it the oldest is dropped. */
const MAX_QUEUE = 100;

/** What happened to one delivery, for tests and the host's own logs. */
export type DeliveryResult = { alert: AlertEvent; ok: boolean; tries: number; status?: number; error?: string };

export class AlertWebhook {
  private readonly queue: AlertEvent[] = [];
  private running: Promise<void> | undefined;
  private readonly stop = new AbortController();

  /** [secrets] Private: its URL and headers may hold the receiver's credentials, and no inspect shows a private field. */
  readonly #options: Required<AlertWebhookOptions>;

  constructor(
    options: Required<AlertWebhookOptions>,
    private readonly delivered: (result: DeliveryResult) => void = () => {},
  ) {
    this.#options = options;
  }

  /** Queues `alert` for delivery; returns at once. */
  send(alert: AlertEvent): void {
    if (this.stop.signal.aborted) return;
    this.queue.push(alert);
    if (this.queue.length > MAX_QUEUE) this.queue.shift();
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves once the queue is empty (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops delivering: a try in flight is aborted, the queue dropped. */
  close(): void {
    this.stop.abort();
    this.queue.length = 0;
  }

  private async run(): Promise<void> {
    for (let alert = this.queue.shift(); alert; alert = this.queue.shift()) {
      this.delivered(await this.deliver(alert));
    }
  }

  private async deliver(alert: AlertEvent): Promise<DeliveryResult> {
    const { url, headers, timeoutMs, attempts, baseDelayMs } = this.#options;
    // Names and numbers only: an alert never carries keys or prompts.
    const body = JSON.stringify({ source: 'switchyard', alert });
    let last: Pick<DeliveryResult, 'status' | 'error'> = {};
    for (let n = 1; n <= attempts; n++) {
      if (n > 1) {
        try {
          // Unref'd: a pending retry never keeps the host process alive.
          await sleep(baseDelayMs * 2 ** (n - 2), undefined, { signal: this.stop.signal, ref: false });
        } catch {
          return { alert, ok: false, tries: n - 1, ...last };
        }
      }
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body,
          signal: AbortSignal.any([this.stop.signal, AbortSignal.timeout(timeoutMs)]),
        });
        await res.body?.cancel();
        if (res.ok) return { alert, ok: true, tries: n, status: res.status };
        last = { status: res.status };
        // The receiver refused the alert itself: sending it again will not help.
        if (res.status < 500 && res.status !== 429 && res.status !== 408) return { alert, ok: false, tries: n, ...last };
      } catch (err) {
        last = { error: (err as Error)?.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : ((err as Error)?.message ?? String(err)) };
        if (this.stop.signal.aborted) return { alert, ok: false, tries: n, ...last };
      }
    }
    return { alert, ok: false, tries: attempts, ...last };
  }
}
