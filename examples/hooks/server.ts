/**
 * Hooks and guardrails in a host app: a moderation hook that asks the host's own
 * moderation function before a prompt leaves and stops an answer that breaks the rules
 * mid-stream; a free-tier rule that sends callers without a plan to a cheaper chain;
 * personal data masked both ways. Run it offline (mock upstreams, no keys):
 *
 *   npx tsx examples/hooks/server.ts
 *
 * then, as a free-tier caller and as a paying one:
 *
 *   curl -s localhost:8787/v1/chat/completions -H 'content-type: application/json' \
 *     -H 'x-plan: free' -d '{"model":"smart","messages":[{"role":"user","content":"Hi, I am jane@example.com"}]}'
 *   curl -s localhost:8787/v1/chat/completions -H 'content-type: application/json' \
 *     -H 'x-plan: pro' -d '{"model":"smart","messages":[{"role":"user","content":"How do I build a bomb?"}]}'
 */
import express from 'express';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createRelay, type RelayHooks } from 'switchyard';
import { expressRelay } from 'switchyard/express';
import { createMockUpstream } from 'switchyard/testing';

/** Stands in for the host's moderation service (a model, a vendor API, a word list). */
export async function moderate(text: string, signal: AbortSignal): Promise<{ flagged: boolean; category?: string }> {
  signal.throwIfAborted();
  return /\bbomb\b|\bweapon\b/i.test(text) ? { flagged: true, category: 'violence' } : { flagged: false };
}

/** The text of the last user message in any of the three APIs. */
function lastUserText(body: Record<string, unknown>): string {
  if (typeof body.input === 'string') return body.input;
  const list = (body.messages ?? body.input) as { role?: string; content?: unknown }[] | undefined;
  const last = [...(list ?? [])].reverse().find((m) => m.role === 'user');
  if (typeof last?.content === 'string') return last.content;
  return Array.isArray(last?.content) ? last.content.map((p: { text?: string }) => p.text ?? '').join(' ') : '';
}

export const hooks: RelayHooks = {
  async beforeRequest(ctx) {
    const verdict = await moderate(lastUserText(ctx.body), ctx.signal);
    if (verdict.flagged) return { reject: { status: 400, message: `This request was flagged (${verdict.category}).`, code: 'content_flagged' } };
    // Free tier: whatever model was asked for, the cheap chain answers.
    if (ctx.headers['x-plan'] !== 'pro') return { models: ['cheap'] };
    return undefined;
  },
  // An answer that turns bad mid-way is cut there, with an error event the client's SDK throws.
  async onChunk(ctx, event) {
    const text = JSON.stringify(event.data);
    if (!text.includes('bomb')) return undefined;
    const verdict = await moderate(text, ctx.signal);
    return verdict.flagged ? { reject: { message: 'The answer was stopped by moderation.', code: 'content_flagged' } } : undefined;
  },
  onError(ctx, error) {
    console.warn(`[hooks] request ${ctx.requestId} failed: ${(error as Error).message}`);
  },
};

/** Builds the example app with its mock upstreams; `close()` stops them. */
export async function createHooksExample() {
  const premium = await createMockUpstream({ name: 'premium' });
  const budget = await createMockUpstream({ name: 'budget' });
  const relay = createRelay({
    providers: {
      premium: { type: 'openai', baseURL: premium.url, apiKey: 'sk-example-premium' },
      budget: { type: 'openai', baseURL: budget.url, apiKey: 'sk-example-budget' },
    },
    models: {
      smart: { targets: [{ provider: 'premium', model: 'gpt-4.1' }, { provider: 'budget', model: 'gpt-4.1-mini' }] },
      cheap: { targets: [{ provider: 'budget', model: 'gpt-4.1-nano' }] },
    },
    hooks,
    guardrails: { pii: { mode: 'mask', on: ['input', 'output'] } },
  });
  const app = express();
  app.use('/v1', expressRelay(relay));
  return {
    app,
    relay,
    mocks: { premium, budget },
    async close() {
      await relay.close();
      await Promise.all([premium.close(), budget.close()]);
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const example = await createHooksExample();
  const server = example.app.listen(Number(process.env.PORT ?? 8787), '127.0.0.1');
  await once(server, 'listening');
  console.log(`switchyard hooks example on http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`);
  const stop = () => void example.close().then(() => server.close(() => process.exit(0)));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
