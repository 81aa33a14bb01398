/**
 * Backoff, Retry-After parsing and the abortable sleep of the retry policy.
 */
import { describe, expect, it, vi } from 'vitest';
import { backoffDelay, parseRetryAfter, sleep } from '../src/policy/retry.js';

describe('backoffDelay', () => {
  const options = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1_000 };
  it('grows exponentially with full jitter, capped at maxDelayMs', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(options, n, () => 0.999999))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffDelay(options, 3, () => 0)).toBe(0);
    expect(backoffDelay(options, 3, () => 0.5)).toBe(200);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3', 0)).toBe(3_000);
    expect(parseRetryAfter('0.5', 0)).toBe(500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:07 GMT', now)).toBe(7_000);
    expect(parseRetryAfter('Thu, 01 Jan 2025 00:00:07 GMT', now)).toBe(0);
  });
  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter('', 0)).toBeUndefined();
  });
});

describe('sleep', () => {
  it('ends early with the abort reason when the signal aborts', async () => {
    vi.useFakeTimers();
    try {
      const controller = new AbortController();
      const reason = new Error('client left');
      const pending = sleep(60_000, controller.signal);
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
    } finally {
      vi.useRealTimers();
    }
  });
  it('waits the given time', async () => {
    vi.useFakeTimers();
    try {
      let done = false;
      const pending = sleep(1_000, new AbortController().signal).then(() => (done = true));
      await vi.advanceTimersByTimeAsync(999);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await pending;
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
