/**
 * A relay that every client API can talk to: two OpenAI mocks (`a`, `b`) and an Anthropic
 * mock (`claude`). Public models: `m` = a → b (chat, and Responses translated), `cheap` =
 * b alone, `claude` = the Anthropic mock (Messages natively), `embed` = a's embeddings.
 * Callers are keyed by the `x-user` header.
 */
import { createRelay, type RelayConfig } from 'switchyard';
import { createMockUpstream, type MockUpstream, type MockUpstreamOptions } from 'switchyard/testing';
import { serveRelay, type Harness } from './harness.js';

export type ThreeApis = Harness & { a: MockUpstream; b: MockUpstream; claude: MockUpstream };

export async function startThreeApis(extra: Partial<RelayConfig>, mock: MockUpstreamOptions = {}): Promise<ThreeApis> {
  const a = await createMockUpstream({ name: 'a', ...mock });
  const b = await createMockUpstream({ name: 'b', ...mock });
  const claude = await createMockUpstream({ name: 'claude', protocol: 'anthropic', ...mock });
  const relay = createRelay({
    providers: {
      a: { type: 'openai', baseURL: a.url, apiKey: 'sk-a' },
      b: { type: 'openai', baseURL: b.url, apiKey: 'sk-b' },
      anthropic: { type: 'anthropic', baseURL: claude.url, apiKey: 'sk-ant-c' },
    },
    models: {
      m: { targets: [{ provider: 'a', model: 'gpt-4.1' }, { provider: 'b', model: 'gpt-4.1-mini' }] },
      cheap: { targets: [{ provider: 'b', model: 'gpt-4.1-nano' }] },
      claude: { targets: [{ provider: 'anthropic', model: 'claude-sonnet-4-5' }] },
      embed: { targets: [{ provider: 'a', model: 'text-embedding-3-small' }] },
    },
    retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
    callers: { key: (req) => req.headers['x-user'] as string | undefined },
    ...extra,
  });
  const h = await serveRelay(relay, { a, b, claude });
  return { ...h, a, b, claude };
}
