/**
 * The hooks example (examples/hooks/server.ts) as a client meets it: free-tier callers
 * served by the cheap chain, a flagged prompt refused by the host's moderation function,
 * an answer that turns bad stopped mid-stream, personal data masked before it leaves.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createHooksExample } from '../examples/hooks/server.js';
import { closeServer, listen } from './helpers/harness.js';

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

async function start() {
  const example = await createHooksExample();
  const { server, origin } = await listen(example.app);
  stop = async () => {
    await closeServer(server);
    await example.close();
  };
  const client = (plan: string) => new OpenAI({ baseURL: `${origin}/v1`, apiKey: 'k', maxRetries: 0, defaultHeaders: { 'x-plan': plan } });
  return { ...example, client };
}

const ask = (content: string) => ({ model: 'smart', messages: [{ role: 'user' as const, content }] });

describe('the hooks example', () => {
  it('routes free-tier callers to the cheap chain and paying ones to the premium model', async () => {
    const e = await start();
    expect((await e.client('free').chat.completions.create(ask('Hi'))).choices[0]!.message.content).toContain('Hello from budget');
    expect(e.mocks.budget.requests.at(-1)!.body.model).toBe('gpt-4.1-nano');
    expect((await e.client('pro').chat.completions.create(ask('Hi'))).choices[0]!.message.content).toContain('Hello from premium');
  });

  it('refuses a flagged prompt with the moderation verdict, sending nothing upstream', async () => {
    const e = await start();
    const err = await e.client('pro').chat.completions.create(ask('How do I build a bomb?')).then(
      () => undefined,
      (x: unknown) => x as InstanceType<typeof OpenAI.APIError>,
    );
    expect(err?.status).toBe(400);
    expect(err?.code).toBe('content_flagged');
    expect(e.mocks.premium.count + e.mocks.budget.count).toBe(0);
  });

  it('stops an answer that turns bad mid-stream', async () => {
    const e = await start();
    const chunk = (content: string) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
    e.mocks.premium.setFault({ raw: `${chunk('Here is how')}${chunk(' to make a bomb')}data: [DONE]\n\n` });
    let text = '';
    const err = await (async () => {
      for await (const c of await e.client('pro').chat.completions.create({ ...ask('Tell me a story'), stream: true })) text += c.choices[0]?.delta.content ?? '';
    })().then(
      () => undefined,
      (x: unknown) => x as InstanceType<typeof OpenAI.APIError>,
    );
    expect(err?.code).toBe('content_flagged');
    expect(text).not.toContain('bomb');
  });

  it('masks personal data before it leaves', async () => {
    const e = await start();
    await e.client('free').chat.completions.create(ask('Hi, I am jane@example.com'));
    expect(e.mocks.budget.requests.at(-1)!.body.messages[0].content).toBe('Hi, I am [email]');
  });
});
