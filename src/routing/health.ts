/**
 * @module
 * Active health checks: a periodic GET (by default `{baseURL}/models`) per provider that
 * configures one. A failed probe counts against the breakers of that provider's targets,
 * so a dead provider is skipped before users hit it; a successful probe closes them
 * again. Timers are unref'd and stop with the relay.
 */
import type { Pool } from 'undici';
import type { ResolvedProvider, ResolvedTarget } from '../config.js';
import type { CircuitBreaker } from '../policy/breaker.js';

export interface HealthCheckHost {
  pool(target: ResolvedTarget): Pool;
  breaker(target: ResolvedTarget): CircuitBreaker;
}

/** Probes `provider` once; true when it answered 2xx in time. */
async function probe(pool: Pool, provider: ResolvedProvider, check: NonNullable<ResolvedProvider['healthCheck']>): Promise<boolean> {
  const { 'content-type': _, ...headers } = provider.headers();
  const path = `${provider.basePath}${check.path}`;
  const signal = AbortSignal.timeout(check.timeoutMs);
  try {
    // Signed or token-authenticated providers: the probe carries the same credentials.
    if (provider.auth) Object.assign(headers, await provider.auth.headers({ method: 'GET', origin: provider.origin, path, headers, body: '' }, signal));
    const res = await pool.request({ method: 'GET', path, headers, signal });
    await res.body.dump();
    return res.statusCode >= 200 && res.statusCode < 300;
  } catch {
    return false;
  }
}

/** Starts the checks; returns the function that stops them. */
export function startHealthChecks(targets: readonly ResolvedTarget[], host: HealthCheckHost): () => void {
  const byProvider = new Map<ResolvedProvider, ResolvedTarget[]>();
  for (const t of targets) if (t.provider.healthCheck) byProvider.set(t.provider, [...(byProvider.get(t.provider) ?? []), t]);
  const timers: NodeJS.Timeout[] = [];
  for (const [provider, mine] of byProvider) {
    const check = provider.healthCheck!;
    let running = false;
    const timer = setInterval(async () => {
      if (running) return;
      running = true;
      const healthy = await probe(host.pool(mine[0]!), provider, check);
      running = false;
      for (const t of mine) {
        const breaker = host.breaker(t);
        if (!healthy || breaker.state !== 'closed') breaker.observe(healthy);
      }
    }, check.intervalMs);
    timer.unref();
    timers.push(timer);
  }
  return () => timers.forEach(clearInterval);
}
