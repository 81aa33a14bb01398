/**
 * What every example relays to. With no provider keys in the environment it starts two
 * in-process mock upstreams, a flaky primary and a healthy backup, so failover is
 * visible offline. With OPENAI_API_KEY and/or DEEPSEEK_API_KEY set it relays to the real
 * providers instead. Both expose one public model, `gpt-4.1`.
 */
import type { RelayConfig } from 'switchyard';
import { createMockUpstream, type MockUpstream } from 'switchyard/testing';

/** Real providers when keys are set, else a flaky and a healthy mock upstream (`mocks`, to close on exit). */
export async function providersFromEnv(env: NodeJS.ProcessEnv): Promise<{ config: RelayConfig; mocks: MockUpstream[] }> {
  if (env.OPENAI_API_KEY || env.DEEPSEEK_API_KEY) {
    const config: RelayConfig = { providers: {}, models: { 'gpt-4.1': { targets: [] } } };
    if (env.OPENAI_API_KEY) {
      config.providers.openai = { type: 'openai', baseURL: 'https://api.openai.com/v1', apiKeyEnv: 'OPENAI_API_KEY' };
      config.models['gpt-4.1']!.targets.push({ provider: 'openai', model: 'gpt-4.1' });
    }
    if (env.DEEPSEEK_API_KEY) {
      config.providers.deepseek = { type: 'openai', baseURL: 'https://api.deepseek.com/v1', apiKeyEnv: 'DEEPSEEK_API_KEY' };
      config.models['gpt-4.1']!.targets.push({ provider: 'deepseek', model: 'deepseek-chat' });
    }
    return { config, mocks: [] };
  }
  const primary = await createMockUpstream({ name: 'primary' });
  const backup = await createMockUpstream({ name: 'backup', chunkDelayMs: 15 });
  // Flaky: of every four requests, three fail (a 503, a connection reset, a 503).
  const faults = [{ status: 503 }, { reset: true }, { status: 503 }, null];
  primary.onRequest((req) => faults[(req.id - 1) % faults.length]);
  const config: RelayConfig = {
    providers: {
      primary: { type: 'openai', baseURL: primary.url, apiKey: 'sk-example-primary' },
      backup: { type: 'openai', baseURL: backup.url, apiKey: 'sk-example-backup' },
    },
    models: {
      'gpt-4.1': { targets: [{ provider: 'primary', model: 'gpt-4.1' }, { provider: 'backup', model: 'deepseek-v3.2' }] },
    },
    retry: { attempts: 2, baseDelayMs: 50 },
    // Three failures in a row open the primary's breaker (the second request does it), so
    // the dashboard shows it open, then a probe after 15 s, then closed or open again.
    breaker: { failureThreshold: 3, cooldownMs: 15_000 },
  };
  return { config, mocks: [primary, backup] };
}

/** What an example prints once it listens. */
export function startupBanner(name: string, base: string, offline: boolean, clientKey?: string): string {
  const auth = clientKey ? ` -H 'authorization: Bearer ${clientKey}'` : '';
  return [
    `switchyard ${name} example listening on ${base}`,
    offline ? 'offline mode: a flaky mock primary and a healthy mock backup' : 'relaying to real providers',
    `try:\n  curl -s ${base}/chat/completions -H 'content-type: application/json'${auth} \\`,
    `    -d '{"model":"gpt-4.1","messages":[{"role":"user","content":"Hello"}]}' -D - `,
  ].join('\n');
}
