/**
 * Streaming through the relay: chunk-by-chunk relay, the commit point (failover before
 * the first content is invisible), clean error events after it, client disconnects.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { MESSAGES, sseData, startHarness, streamedText, type Harness } from './helpers/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const reply = (name: string) => `Hello from ${name}! This is a streamed reply from a mock upstream.`;

function streamRequest(url: string, body: Record<string, unknown> = {}, signal?: AbortSignal) {
  return fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chat', stream: true, messages: MESSAGES, ...body }),
    signal,
  });
}

/** Reads SSE events from a fetch body one at a time. */
function eventReader(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return async function next(): Promise<string | undefined> {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end !== -1) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        return event.startsWith('data: ') ? event.slice(6) : event;
      }
      const { value, done } = await reader.read();
      if (done) return undefined;
      buffer += decoder.decode(value, { stream: true });
    }
  };
}

describe('streaming', () => {
  it('relays the whole stream with the served-by headers and ends with [DONE]', async () => {
    h = await startHarness(['primary', 'backup']);
    const res = await streamRequest(h.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('x-switchyard-provider')).toBe('primary');
    expect(res.headers.get('x-switchyard-attempts')).toBe('1');
    const text = await res.text();
    expect(streamedText(text)).toBe(reply('primary'));
    expect(sseData(text).at(-1)).toBe('[DONE]');
  });

  it('forwards chunks as they arrive instead of buffering the answer', async () => {
    h = await startHarness(['primary']);
    h.mocks.primary!.setFault({ dripMs: 5_000 });
    const controller = new AbortController();
    const res = await streamRequest(h.url, {}, controller.signal);
    const next = eventReader(res);
    const first = JSON.parse((await next())!);
    expect(first.choices[0].delta.role).toBe('assistant');
    const second = JSON.parse((await next())!);
    expect(second.choices[0].delta.content).toBe('Hello');
    // The upstream still has the rest of the answer to drip: the client got content first.
    expect(h.mocks.primary!.requests[0]!.abandoned).toBe(false);
    const abandoned = h.mocks.primary!.nextAbandoned();
    controller.abort();
    await abandoned;
  });

  it('passes the usage chunk through when the client asked for it', async () => {
    h = await startHarness(['primary']);
    const res = await streamRequest(h.url, { stream_options: { include_usage: true } });
    const chunks = sseData(await res.text()).filter((d) => d !== '[DONE]').map((d) => JSON.parse(d));
    const usage = chunks.at(-1);
    expect(usage.choices).toEqual([]);
    expect(usage.usage.completion_tokens).toBeGreaterThan(0);
    expect(h.mocks.primary!.requests[0]!.body.stream_options).toEqual({ include_usage: true });
  });

  describe('before the first content: failover is invisible', () => {
    it.each([
      ['an error event after the role chunk', { errorAfterChunks: 1 }],
      ['a connection cut after the role chunk', { dieAfterChunks: 1 }],
      ['malformed SSE', { malformed: true }],
      ['an error status', { status: 503 }],
      ['a reset before headers', { reset: true }],
    ])('%s fails over to the backup', async (_name, fault) => {
      h = await startHarness(['primary', 'backup'], { retry: { attempts: 1 } });
      h.mocks.primary!.setFault(fault);
      const res = await streamRequest(h.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-switchyard-provider')).toBe('backup');
      const text = await res.text();
      expect(streamedText(text)).toBe(reply('backup'));
      // Nothing of the primary's held-back preamble leaked: exactly one role chunk.
      const roles = sseData(text).filter((d) => d !== '[DONE]').filter((d) => JSON.parse(d).choices[0]?.delta?.role);
      expect(roles).toHaveLength(1);
      expect(h.mocks.primary!.count).toBe(1);
    });

    it('times out a slow first byte and fails over', async () => {
      h = await startHarness(['primary', 'backup'], { retry: { attempts: 1 }, timeouts: { firstByteMs: 100 } });
      h.mocks.primary!.setFault({ firstByteDelayMs: 10_000 });
      const res = await streamRequest(h.url);
      expect(res.headers.get('x-switchyard-provider')).toBe('backup');
      expect(streamedText(await res.text())).toBe(reply('backup'));
      await expect.poll(() => h.mocks.primary!.abandoned).toBe(1);
    });

    it('fails over when the upstream answers JSON although a stream was asked for', async () => {
      h = await startHarness(['primary', 'backup'], { retry: { attempts: 1 } });
      h.mocks.primary!.setFault({ raw: JSON.stringify({ id: 'x', object: 'chat.completion', choices: [] }), contentType: 'application/json' });
      const res = await streamRequest(h.url);
      expect(res.headers.get('x-switchyard-provider')).toBe('backup');
    });

    it('answers a real error status, never a 200, when every target fails before content', async () => {
      h = await startHarness(['primary', 'backup'], { retry: { attempts: 1 } });
      h.mocks.primary!.setFault({ errorAfterChunks: 1 });
      h.mocks.backup!.setFault({ dieAfterChunks: 1 });
      const res = await streamRequest(h.url);
      expect(res.status).toBe(502);
      expect(res.headers.get('content-type')).toContain('application/json');
      const body = (await res.json()) as { error: { code: string; attempts: { outcome: string }[] } };
      expect(body.error.code).toBe('all_targets_failed');
      expect(body.error.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['server', 'reset']);
    });
  });

  describe('after the first content: the stream ends with an error event', () => {
    it('a connection cut mid-answer ends the stream cleanly with an error event and no [DONE]', async () => {
      h = await startHarness(['primary', 'backup']);
      h.mocks.primary!.setFault({ dieAfterChunks: 4 });
      const res = await streamRequest(h.url);
      expect(res.status).toBe(200);
      const events = sseData(await res.text());
      expect(events).not.toContain('[DONE]');
      const last = JSON.parse(events.at(-1)!);
      expect(last.error).toMatchObject({ type: 'upstream_error', code: 'stream_interrupted' });
      const text = events.slice(0, -1).map((d) => JSON.parse(d).choices[0]?.delta?.content ?? '').join('');
      expect(text).toBe('Hello from primary!');
      expect(h.mocks.backup!.count).toBe(0);
    });

    it('an in-stream error event mid-answer becomes our error event', async () => {
      h = await startHarness(['primary']);
      h.mocks.primary!.setFault({ errorAfterChunks: 3 });
      const events = sseData(await (await streamRequest(h.url)).text());
      expect(JSON.parse(events.at(-1)!).error.code).toBe('stream_interrupted');
      expect(JSON.parse(events.at(-1)!).error.message).toContain('mock in-stream error');
    });

    it('an idle upstream mid-answer is cut after idleMs', async () => {
      h = await startHarness(['primary'], { timeouts: { idleMs: 150 } });
      const chunk = (content: string) =>
        `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
      // The first event carries content (the stream commits), then the upstream goes quiet.
      h.mocks.primary!.setFault({ raw: chunk('Hi') + chunk(' there') + 'data: [DONE]\n\n', dripMs: 10_000 });
      const events = sseData(await (await streamRequest(h.url)).text());
      expect(events).toHaveLength(2);
      expect(JSON.parse(events[0]!).choices[0].delta.content).toBe('Hi');
      expect(JSON.parse(events[1]!).error.code).toBe('stream_interrupted');
      expect(JSON.parse(events[1]!).error.message).toContain('150 ms');
      await expect.poll(() => h.mocks.primary!.abandoned).toBe(1);
    });

    it('the openai client sees the partial answer, then an error', async () => {
      h = await startHarness(['primary']);
      h.mocks.primary!.setFault({ dieAfterChunks: 4 });
      const client = new OpenAI({ baseURL: h.url, apiKey: 'client', maxRetries: 0 });
      const stream = await client.chat.completions.create({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'hi' }] });
      let text = '';
      await expect(
        (async () => {
          for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
        })(),
      ).rejects.toThrow(/interrupted/);
      expect(text).toBe('Hello from primary!');
    });

    it('completes a stream that finished without [DONE], adding it', async () => {
      h = await startHarness(['primary']);
      const chunk = (delta: object, finish: string | null) =>
        `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      h.mocks.primary!.setFault({ raw: chunk({ role: 'assistant', content: 'Hi' }, null) + chunk({}, 'stop') });
      const events = sseData(await (await streamRequest(h.url)).text());
      expect(events.at(-1)).toBe('[DONE]');
      expect(events).toHaveLength(3);
    });
  });

  describe('client disconnect', () => {
    it('aborts the upstream request mid-stream', async () => {
      h = await startHarness(['primary']);
      h.mocks.primary!.setFault({ dripMs: 1_000 });
      const controller = new AbortController();
      const res = await streamRequest(h.url, {}, controller.signal);
      const next = eventReader(res);
      await next();
      await next();
      const abandoned = h.mocks.primary!.nextAbandoned();
      controller.abort();
      const req = await abandoned;
      expect(req.body.stream).toBe(true);
      await expect.poll(() => h.relay.inFlight).toBe(0);
    });

    it('aborts the upstream request while waiting for the first byte', async () => {
      h = await startHarness(['primary', 'backup']);
      h.mocks.primary!.setFault({ hang: true });
      const controller = new AbortController();
      const pending = streamRequest(h.url, {}, controller.signal).catch(() => undefined);
      await expect.poll(() => h.mocks.primary!.count).toBe(1);
      const abandoned = h.mocks.primary!.nextAbandoned();
      controller.abort();
      await abandoned;
      await pending;
      // The relay did not fail over on behalf of a client that is gone.
      expect(h.mocks.backup!.count).toBe(0);
      await expect.poll(() => h.relay.inFlight).toBe(0);
    });

    it('aborts a non-streaming request too', async () => {
      h = await startHarness(['primary']);
      h.mocks.primary!.setFault({ hang: true });
      const controller = new AbortController();
      const pending = fetch(`${h.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'chat', messages: MESSAGES }),
        signal: controller.signal,
      }).catch(() => undefined);
      await expect.poll(() => h.mocks.primary!.count).toBe(1);
      const abandoned = h.mocks.primary!.nextAbandoned();
      controller.abort();
      await abandoned;
      await pending;
    });
  });

  describe('programmatic stream()', () => {
    it('yields parsed chunks, and return() aborts the upstream', async () => {
      h = await startHarness(['primary']);
      h.mocks.primary!.setFault({ dripMs: 1_000 });
      const stream = await h.relay.stream({ model: 'chat', messages: MESSAGES });
      const role = await stream.next();
      expect((role.value as { choices: { delta: { role?: string } }[] }).choices[0]!.delta.role).toBe('assistant');
      const first = await stream.next();
      expect((first.value as { choices: { delta: { content?: string } }[] }).choices[0]!.delta.content).toBe('Hello');
      const abandoned = h.mocks.primary!.nextAbandoned();
      await stream.return!();
      await abandoned;
      expect(h.relay.inFlight).toBe(0);
    });

    it('collects a whole answer', async () => {
      h = await startHarness(['primary']);
      let text = '';
      for await (const chunk of await h.relay.stream({ model: 'chat', messages: MESSAGES })) {
        text += (chunk.choices[0] as { delta?: { content?: string } } | undefined)?.delta?.content ?? '';
      }
      expect(text).toBe(reply('primary'));
    });
  });
});
