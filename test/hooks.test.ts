/**
 * The host's hooks at every point of a request, on every client API (Chat Completions,
 * Responses, Messages, embeddings), streaming and not, through the official clients:
 * `beforeRequest` rejects, rewrites and narrows; `beforeAttempt` runs once per attempt
 * whatever started it; `afterResponse` replaces, refuses and observes; `onChunk` drops,
 * replaces and ends a stream mid-way; `onError` observes. A hook that throws or overruns
 * fails only its request, with `hook_failed`, and leaves limits and budgets exact.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore, type HookContext, type RelayConfig, type RelayEventMap, type RelayHooks } from 'switchyard';
import type { MockUpstreamOptions } from 'switchyard/testing';
import type { Harness } from './helpers/harness.js';
import { startThreeApis, type ThreeApis } from './helpers/three-apis.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** See `startThreeApis`; `hooks` and `extra` go into the relay's config. */
async function setup(hooks: RelayHooks, extra: Partial<RelayConfig> = {}, mock: MockUpstreamOptions = {}): Promise<ThreeApis> {
  const s = await startThreeApis({ hooks, ...extra }, mock);
  h = s;
  return s;
}

const openai = (url: string, user = 'ann') => new OpenAI({ baseURL: url, apiKey: 'client-key', maxRetries: 0, defaultHeaders: { 'x-user': user } });
const anthropic = (url: string) => new Anthropic({ baseURL: url.replace(/\/v1$/, ''), apiKey: 'client-key', maxRetries: 0, defaultHeaders: { 'x-user': 'ann' } });
const chat = (model = 'm') => ({ model, messages: [{ role: 'user' as const, content: 'Say hello' }] });
const messages = { model: 'claude', max_tokens: 100, messages: [{ role: 'user' as const, content: 'Say hello' }] };

async function failure(p: Promise<unknown>): Promise<{ status?: number; code?: unknown; message: string; type?: unknown }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof OpenAI.APIError) return { status: err.status, code: err.code, message: err.message, type: err.type };
  if (err instanceof Anthropic.APIError) {
    const body = err.error as { error?: { type?: string; message?: string } } | undefined;
    return { status: err.status, type: body?.error?.type, message: body?.error?.message ?? err.message };
  }
  throw new Error(`expected an API error, got ${String(err)}`);
}

/** The text of an OpenAI chat stream. */
async function chatText(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  return text;
}

describe('beforeRequest', () => {
  const refuse: RelayHooks = { beforeRequest: (ctx) => (ctx.headers['x-user'] === 'mallory' ? { reject: { status: 403, message: 'Not for you, Mallory.', code: 'policy_denied' } } : undefined) };

  it('is told the request: format, parsed body, public model, caller, headers and id', async () => {
    const seen: Omit<HookContext, 'signal'>[] = [];
    const s = await setup({ beforeRequest: ({ signal, ...ctx }) => void seen.push(ctx) });
    await openai(s.url).chat.completions.create(chat());
    await openai(s.url).responses.create({ model: 'm', input: 'Say hi' });
    await anthropic(s.url).messages.create(messages);
    await openai(s.url).embeddings.create({ model: 'embed', input: 'x' });
    expect(seen.map((c) => [c.format, c.model, c.caller])).toEqual([
      ['chat', 'm', 'ann'],
      ['responses', 'm', 'ann'],
      ['messages', 'claude', 'ann'],
      ['embeddings', 'embed', 'ann'],
    ]);
    expect(seen[1]!.body).toMatchObject({ model: 'm', input: 'Say hi' });
    expect(seen[2]!.body).toMatchObject({ max_tokens: 100 });
    expect(seen[0]!.headers['x-user']).toBe('ann');
    expect(new Set(seen.map((c) => c.requestId)).size).toBe(4);
  });

  it('rejects in each client’s own envelope, with nothing sent upstream (JSON and streams)', async () => {
    const s = await setup(refuse);
    const m = openai(s.url, 'mallory');
    const answers = [
      await failure(m.chat.completions.create(chat())),
      await failure(m.chat.completions.create({ ...chat(), stream: true })),
      await failure(m.responses.create({ model: 'm', input: 'hi' })),
      await failure(m.responses.create({ model: 'm', input: 'hi', stream: true })),
      await failure(m.embeddings.create({ model: 'embed', input: 'x' })),
    ];
    for (const a of answers) expect(a).toMatchObject({ status: 403, code: 'policy_denied', message: expect.stringContaining('Not for you, Mallory.') });
    const claude = new Anthropic({ baseURL: s.url.replace(/\/v1$/, ''), apiKey: 'k', maxRetries: 0, defaultHeaders: { 'x-user': 'mallory' } });
    expect(await failure(claude.messages.create(messages))).toEqual({ status: 403, type: 'permission_error', message: 'Not for you, Mallory.' });
    expect(await failure(claude.messages.create({ ...messages, stream: true }))).toMatchObject({ status: 403, message: 'Not for you, Mallory.' });
    expect(s.a.count + s.b.count + s.claude.count).toBe(0);
    // Others pass.
    expect((await openai(s.url).chat.completions.create(chat())).choices[0]!.message.content).toContain('Hello from a');
  });

  it('rewrites the body, validated again as the client’s (every format)', async () => {
    const s = await setup({
      beforeRequest: (ctx) => {
        if (ctx.format === 'chat') return { body: { ...ctx.body, messages: [{ role: 'system', content: 'Be brief.' }, ...(ctx.body.messages as unknown[])] } };
        if (ctx.format === 'responses') return { body: { ...ctx.body, instructions: 'Be brief.' } };
        if (ctx.format === 'messages') return { body: { ...ctx.body, system: 'Be brief.' } };
        return undefined;
      },
    });
    await openai(s.url).chat.completions.create({ ...chat(), stream: true }).then(chatText);
    expect(s.a.requests.at(-1)!.body.messages[0]).toEqual({ role: 'system', content: 'Be brief.' });
    await openai(s.url).responses.create({ model: 'm', input: 'hi' });
    expect(s.a.requests.at(-1)!.body.messages[0]).toEqual({ role: 'system', content: 'Be brief.' });
    await anthropic(s.url).messages.create(messages);
    expect(s.claude.requests.at(-1)!.body.system).toBe('Be brief.');
  });

  it('a rewritten body that is invalid is the host’s bug: hook output is validated like the client’s', async () => {
    const s = await setup({ beforeRequest: (ctx) => ({ body: { ...ctx.body, messages: 'oops' } }) });
    const err = await failure(openai(s.url).chat.completions.create(chat()));
    expect(err.status).toBe(400);
    expect(err.message).toContain('messages');
    expect(s.a.count).toBe(0);
  });

  it('narrows the chain: free-tier callers go to the cheap model, on every format', async () => {
    const s = await setup({ beforeRequest: (ctx) => (ctx.caller === 'free' ? { models: ['cheap'] } : undefined) });
    const free = openai(s.url, 'free');
    await free.chat.completions.create(chat());
    await free.chat.completions.create({ ...chat(), stream: true }).then(chatText);
    await free.responses.create({ model: 'm', input: 'hi' });
    expect(s.a.count).toBe(0);
    expect(s.b.requests.map((r) => r.body.model)).toEqual(['gpt-4.1-nano', 'gpt-4.1-nano', 'gpt-4.1-nano']);
    await openai(s.url, 'paid').chat.completions.create(chat());
    expect(s.a.count).toBe(1);
  });

  it('a narrowed list that is itself a chain fails over in the hook’s order', async () => {
    const s = await setup({ beforeRequest: () => ({ models: ['cheap', 'claude'] }) });
    s.b.setFault({ status: 503 });
    const res = await openai(s.url).chat.completions.create(chat());
    expect(res.choices[0]!.message.content).toContain('Hello from claude');
    expect(s.a.count).toBe(0);
  });

  it('naming a model that does not exist is the hook’s failure (500), not the client’s', async () => {
    const s = await setup({ beforeRequest: () => ({ models: ['nope'] }) });
    const err = await failure(openai(s.url).chat.completions.create(chat()));
    expect(err).toMatchObject({ status: 500, code: 'hook_failed' });
    expect(err.message).toContain('beforeRequest');
    expect(err.message).toContain('nope');
  });
});

describe('beforeAttempt', () => {
  type Seen = [provider: string, attempt: number, cause: string];

  it('runs once per attempt across retries and the fallback, JSON and stream', async () => {
    const seen: Seen[] = [];
    const s = await setup({ beforeAttempt: (_ctx, t) => void seen.push([t.provider, t.attempt, t.cause]) });
    s.a.setFault({ status: 503 });
    await openai(s.url).chat.completions.create(chat());
    await openai(s.url).chat.completions.create({ ...chat(), stream: true }).then(chatText);
    const once: Seen[] = [['a', 1, 'first'], ['a', 2, 'retry'], ['b', 1, 'first']];
    expect(seen).toEqual([...once, ...once]);
    expect(s.a.count + s.b.count).toBe(seen.length);
  });

  it('runs for a hedge and for a resumed stream', async () => {
    const seen: Seen[] = [];
    const s = await setup(
      { beforeAttempt: (_ctx, t) => void seen.push([t.provider, t.attempt, t.cause]) },
      { stream: { resume: true }, models: { m: { targets: [{ provider: 'a', model: 'gpt-4.1' }, { provider: 'b', model: 'gpt-4.1-mini' }], hedge: { afterMs: 50 } } } as RelayConfig['models'] },
    );
    s.a.setFault({ firstByteDelayMs: 2_000 });
    const res = await openai(s.url).chat.completions.create(chat());
    expect(res.choices[0]!.message.content).toContain('Hello from b');
    expect(seen).toEqual([['a', 1, 'first'], ['b', 1, 'hedge']]);

    seen.length = 0;
    s.a.setFault({ dieAfterChunks: 3 });
    // b starts late, so a hedge (if a loaded machine lets one start) cannot win the stream from a.
    s.b.setFault({ firstByteDelayMs: 1_000 });
    const text = await openai(s.url).chat.completions.create({ ...chat(), stream: true }).then(chatText);
    expect(text.length).toBeGreaterThan(0);
    expect(seen[0]).toEqual(['a', 1, 'first']);
    expect(seen.some(([, , cause]) => cause === 'resume')).toBe(true);
  });

  it('sees the body each target would get, and changes it for that target only', async () => {
    const bodies: Record<string, unknown>[] = [];
    const s = await setup({
      beforeAttempt: (_ctx, t) => {
        bodies.push(t.body);
        return t.provider === 'b' ? { body: { ...t.body, user: 'routed-to-b' } } : undefined;
      },
    });
    s.a.setFault({ status: 503 });
    await openai(s.url).responses.create({ model: 'm', input: 'hi' });
    // A Responses client on a chat target: the hook saw the translated chat body.
    expect(bodies[0]).toMatchObject({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] });
    expect(s.a.requests.every((r) => r.body.user === undefined)).toBe(true);
    expect(s.b.requests.at(-1)!.body.user).toBe('routed-to-b');
    // A native target: the client's own Messages request.
    await anthropic(s.url).messages.create(messages);
    expect(bodies.at(-1)).toMatchObject({ max_tokens: 100, messages: [{ role: 'user', content: 'Say hello' }] });
  });

  it('skips a target as unsupported, and the chain goes on', async () => {
    const s = await setup({ beforeAttempt: (ctx, t) => (t.provider === 'a' || ctx.caller === 'eu' ? { skip: 'no EU data residency' } : undefined) });
    const ends: RelayEventMap['requestEnd'][] = [];
    s.relay.on('requestEnd', (e) => ends.push(e));
    const res = await openai(s.url).chat.completions.create(chat());
    expect(res.choices[0]!.message.content).toContain('Hello from b');
    expect(s.a.count).toBe(0);
    expect(ends[0]!.attempts.map((a) => [a.target, a.outcome])).toEqual([['a/gpt-4.1', 'unsupported'], ['b/gpt-4.1-mini', 'ok']]);
    // With every target skipped, the client is told why.
    const res2 = await fetch(`${s.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-user': 'eu' }, body: JSON.stringify(chat()) });
    const body = (await res2.json()) as { error: { message: string } };
    expect(res2.status).toBe(400);
    expect(body.error.message).toContain('skipped by beforeAttempt: no EU data residency');
    expect(s.b.count).toBe(1);
  });
});

describe('afterResponse', () => {
  it('replaces or refuses a JSON answer on every format', async () => {
    const s = await setup({
      afterResponse: (ctx, answer) => {
        if (ctx.caller === 'strict') return { reject: { status: 422, message: 'The answer broke our rules.', code: 'answer_refused' } };
        const body = answer.body!;
        if (ctx.format === 'chat') return { body: { ...body, choices: [{ ...(body.choices as object[])[0], message: { role: 'assistant', content: 'Replaced.' } }] } };
        if (ctx.format === 'messages') return { body: { ...body, content: [{ type: 'text', text: 'Replaced.' }] } };
        if (ctx.format === 'embeddings') return { body: { ...body, model: 'house-embedding' } };
        return undefined;
      },
    });
    expect((await openai(s.url).chat.completions.create(chat())).choices[0]!.message.content).toBe('Replaced.');
    expect((await anthropic(s.url).messages.create(messages)).content).toEqual([{ type: 'text', text: 'Replaced.' }]);
    expect((await openai(s.url).embeddings.create({ model: 'embed', input: 'x' })).model).toBe('house-embedding');
    expect((await openai(s.url).responses.create({ model: 'm', input: 'hi' })).output_text).toContain('Hello from a');
    const strict = openai(s.url, 'strict');
    expect(await failure(strict.chat.completions.create(chat()))).toMatchObject({ status: 422, code: 'answer_refused', message: expect.stringContaining('The answer broke our rules.') });
    expect(await failure(strict.responses.create({ model: 'm', input: 'hi' }))).toMatchObject({ status: 422, code: 'answer_refused' });
  });

  it('sees a stream’s assembled text and tool calls at its end, on every format', async () => {
    const ends: [string, string | undefined, number][] = [];
    let done!: () => void;
    let left = 3;
    const all = new Promise<void>((r) => (done = r));
    const s = await setup(
      {
        afterResponse: (ctx, answer) => {
          ends.push([ctx.format, answer.text, answer.toolCalls?.length ?? 0]);
          if (--left === 0) done();
        },
      },
      {},
      { reply: { text: 'Checking.', toolCalls: [{ name: 'lookup', input: { q: 'x' } }] } },
    );
    const tools = [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }];
    await openai(s.url).chat.completions.create({ ...chat(), stream: true, tools }).then(chatText);
    const r = openai(s.url).responses.stream({ model: 'm', input: 'hi', tools: [{ type: 'function', name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } }, strict: false }] });
    await r.finalResponse();
    await anthropic(s.url).messages.stream({ ...messages, tools: [{ name: 'lookup', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }] }).finalMessage();
    await all;
    expect(ends).toEqual([
      ['chat', 'Checking.', 1],
      ['responses', 'Checking.', 1],
      ['messages', 'Checking.', 1],
    ]);
  });
});

describe('onChunk', () => {
  it('drops and replaces events in the client’s format', async () => {
    const s = await setup({
      onChunk: (_ctx, e) => {
        const delta = (e.data.choices as { delta?: { content?: string } }[] | undefined)?.[0]?.delta;
        if (delta?.content === ' darn') return { drop: true };
        if (delta?.content === ' heck.') return { event: { data: { ...e.data, choices: [{ index: 0, delta: { content: ' gosh.' }, finish_reason: null }] } } };
        return undefined;
      },
    }, {}, { reply: 'Oh darn it, what the heck.' });
    expect(await openai(s.url).chat.completions.create({ ...chat(), stream: true }).then(chatText)).toBe('Oh it, what the gosh.');
  });

  const stopAt = (word: string): RelayHooks => ({
    onChunk: (_ctx, e) => (JSON.stringify(e.data).includes(word) ? { reject: { message: 'The answer broke our rules.', code: 'content_policy' } } : undefined),
  });

  it('ends a chat stream mid-way: the openai client throws the message and code after the text before it', async () => {
    const s = await setup(stopAt('forbidden'), {}, { reply: 'The plan is forbidden and secret.' });
    let text = '';
    const err = await failure(
      (async () => {
        for await (const chunk of await openai(s.url).chat.completions.create({ ...chat(), stream: true })) text += chunk.choices[0]?.delta.content ?? '';
      })(),
    );
    expect(text).toBe('The plan is');
    expect(err).toMatchObject({ code: 'content_policy', message: expect.stringContaining('The answer broke our rules.') });
  });

  it('ends a Responses stream mid-way: the openai client throws', async () => {
    const s = await setup(stopAt('forbidden'), {}, { reply: 'The plan is forbidden and secret.' });
    let text = '';
    const stream = openai(s.url).responses.stream({ model: 'm', input: 'hi' });
    stream.on('response.output_text.delta', (e) => (text += e.delta));
    const err = await stream.finalResponse().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(text).toBe('The plan is');
    expect(err?.message).toContain('The answer broke our rules.');
  });

  it('ends a Messages stream mid-way: the Anthropic client throws', async () => {
    const s = await setup(stopAt('forbidden'), {}, { reply: 'The plan is forbidden and secret.' });
    let text = '';
    const stream = anthropic(s.url).messages.stream({ ...messages, stream: true });
    stream.on('text', (t) => (text += t));
    const err = await stream.finalMessage().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(text).toBe('The plan is');
    expect(err?.message).toContain('The answer broke our rules.');
  });
});

describe('onError', () => {
  it('observes final errors: an upstream failure, a rejection, a broken stream', async () => {
    const codes: string[] = [];
    const s = await setup({
      beforeRequest: (ctx) => (ctx.caller === 'mallory' ? { reject: { message: 'no' } } : undefined),
      onChunk: (_ctx, e) => (JSON.stringify(e.data).includes('forbidden') ? { reject: { message: 'stop' } } : undefined),
      onError: (_ctx, err) => void codes.push((err as { code: string }).code),
    }, {}, { reply: 'Quite forbidden.' });
    await failure(openai(s.url, 'mallory').chat.completions.create(chat()));
    await failure(openai(s.url).chat.completions.create({ ...chat(), stream: true }).then(chatText));
    s.a.setFault({ status: 503 });
    s.b.setFault({ status: 503 });
    await failure(openai(s.url).chat.completions.create(chat()));
    await s.relay.settled();
    expect(codes).toEqual(['ERR_SWITCHYARD_REQUEST_REJECTED', 'ERR_SWITCHYARD_REQUEST_REJECTED', 'ERR_SWITCHYARD_ALL_TARGETS_FAILED']);
  });
});

describe('a hook that throws or overruns', () => {
  const never = (ctx: HookContext) => new Promise<undefined>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));

  it.each([
    ['beforeRequest', { beforeRequest: () => { throw new Error('db down'); } }],
    ['beforeAttempt', { beforeAttempt: () => { throw new Error('db down'); } }],
    ['afterResponse', { afterResponse: () => { throw new Error('db down'); } }],
    ['beforeRequest', { beforeRequest: never }],
    ['beforeAttempt', { beforeAttempt: (ctx: HookContext) => never(ctx) }],
  ] as [string, RelayHooks][])('%s fails that request with hook_failed (500) in the client’s envelope', async (name, hooks) => {
    const s = await setup(hooks, { hooksTimeoutMs: 100 });
    const err = await failure(openai(s.url).chat.completions.create(chat()));
    expect(err).toMatchObject({ status: 500, code: 'hook_failed', type: 'server_error' });
    expect(err.message).toContain(`The ${name} hook`);
    expect(err.message).not.toContain('db down');
    const claude = await failure(anthropic(s.url).messages.create(messages));
    expect(claude).toMatchObject({ status: 500, type: 'api_error' });
    expect(claude.message).toContain(name);
  });

  it('an onChunk that throws or never answers ends the stream with an error event, not a hang', async () => {
    for (const onChunk of [() => { throw new Error('boom'); }, (ctx: HookContext) => never(ctx)]) {
      const s = await setup({ onChunk }, { hooksTimeoutMs: 100 });
      const err = await failure(openai(s.url).chat.completions.create({ ...chat(), stream: true }).then(chatText));
      expect(err).toMatchObject({ code: 'hook_failed', message: expect.stringContaining('The onChunk hook') });
      await h!.close();
      h = undefined;
    }
  });

  it('leaves budgets exact: a failed beforeAttempt holds nothing, a refused answer is still paid for', async () => {
    const spent = new Map<string, number>();
    class Counting extends MemoryStore {
      override reserve(key: string, amountUsd: number, capUsd: number, ttlMs: number) {
        const state = super.reserve(key, amountUsd, capUsd, ttlMs);
        if (state.ok) spent.set(key, (spent.get(key) ?? 0) + amountUsd);
        return state;
      }
      override settle(key: string, deltaUsd: number, ttlMs: number) {
        spent.set(key, (spent.get(key) ?? 0) + deltaUsd);
        return super.settle(key, deltaUsd, ttlMs);
      }
    }
    let fail: 'attempt' | 'answer' = 'attempt';
    const s = await setup(
      {
        beforeAttempt: () => {
          if (fail === 'attempt') throw new Error('no');
        },
        afterResponse: () => (fail === 'answer' ? { reject: { message: 'refused' } } : undefined),
      },
      { store: new Counting(), callers: { key: (req) => req.headers['x-user'] as string, budget: { usd: 5, period: 'day' } } },
    );
    const ends: RelayEventMap['requestEnd'][] = [];
    s.relay.on('requestEnd', (e) => ends.push(e));
    await failure(openai(s.url).chat.completions.create({ ...chat(), max_tokens: 500 }));
    await s.relay.settled();
    expect([...spent.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12);
    fail = 'answer';
    await failure(openai(s.url).chat.completions.create({ ...chat(), max_tokens: 500 }));
    await s.relay.settled();
    const net = [...spent.entries()].filter(([k]) => k.includes('caller')).reduce((a, [, v]) => a + v, 0);
    expect(net).toBeGreaterThan(0);
    expect(ends.at(-1)).toMatchObject({ status: 'error', errorCode: 'ERR_SWITCHYARD_REQUEST_REJECTED' });
    expect(net).toBeCloseTo(ends.at(-1)!.costUsd!, 12);
  });
});
