import { request as httpRequest } from 'node:http';
import { getActiveResourcesInfo } from 'node:process';
import { setImmediate as tick } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMockUpstream, type MockUpstream } from 'switchyard/testing';

const DEFAULT_REPLY = 'Hello from mock! This is a streamed reply from a mock upstream.';

let mock: MockUpstream;

beforeEach(async () => {
  mock = await createMockUpstream();
});

afterEach(async () => {
  await mock.close();
});

function chat(body: Record<string, unknown> = {}, init: RequestInit = {}): Promise<Response> {
  return fetch(`${mock.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' },
    body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'Hi there!' }], ...body }),
    ...init,
  });
}

/** Response JSON as `any`, so assertions can reach into it without casts. */
async function jsonOf(res: Response): Promise<any> {
  return res.json();
}

/** Split an SSE body into the payloads of its `data:` lines. */
function dataOf(text: string): string[] {
  return text
    .split('\n\n')
    .filter((event) => event.length > 0)
    .map((event) => event.replace(/^data: /, ''));
}

/** Read a body until it ends or fails; report what arrived and how it ended. */
async function drain(res: Response): Promise<{ text: string; error?: unknown }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text };
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    return { text, error };
  }
}

function contentOf(payloads: string[]): string {
  return payloads
    .filter((p) => p !== '[DONE]')
    .map((p) => JSON.parse(p).choices[0]?.delta?.content ?? '')
    .join('');
}

describe('healthy responses', () => {
  it('answers a chat completion like OpenAI', async () => {
    const res = await chat({ messages: [{ role: 'user', content: '12345678' }, { role: 'user', content: 'x' }] });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = await jsonOf(res);
    expect(body).toMatchObject({
      id: 'chatcmpl-mock-1',
      object: 'chat.completion',
      model: 'gpt-test',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: DEFAULT_REPLY, refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      // 9 characters of prompt -> ceil(9 / 4); the reply has 12 word tokens.
      usage: { prompt_tokens: 3, completion_tokens: 12, total_tokens: 15 },
    });
    expect(Number.isInteger(body.created)).toBe(true);
  });

  it('streams a chat completion as OpenAI chunks ending in [DONE]', async () => {
    const res = await chat({ stream: true });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const payloads = dataOf(await res.text());
    expect(payloads.at(-1)).toBe('[DONE]');
    const chunks = payloads.slice(0, -1).map((p) => JSON.parse(p));
    expect(chunks[0]).toMatchObject({
      id: 'chatcmpl-mock-1',
      object: 'chat.completion.chunk',
      model: 'gpt-test',
      choices: [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, finish_reason: null }],
    });
    expect(chunks.slice(1, -1).map((c) => c.choices[0].delta.content)).toEqual(
      DEFAULT_REPLY.match(/\s*\S+/g),
    );
    expect(contentOf(payloads)).toBe(DEFAULT_REPLY);
    expect(chunks.at(-1).choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
    expect(chunks.every((c) => !('usage' in c))).toBe(true);
  });

  it('adds a usage chunk only when stream_options.include_usage is set', async () => {
    const res = await chat({ stream: true, stream_options: { include_usage: true } });
    const payloads = dataOf(await res.text());
    expect(payloads.at(-1)).toBe('[DONE]');
    const usageChunk = JSON.parse(payloads.at(-2)!);
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage).toEqual({ prompt_tokens: 3, completion_tokens: 12, total_tokens: 15 });
    expect(JSON.parse(payloads.at(-3)!).choices[0].finish_reason).toBe('stop');
  });

  it('uses the name and a reply function', async () => {
    const named = await createMockUpstream({ name: 'backup', reply: (req) => `echo ${req.body.model} ` });
    try {
      const res = await fetch(`${named.url}/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'm1', stream: true, messages: [] }),
      });
      expect(contentOf(dataOf(await res.text()))).toBe('echo m1 ');
      const plain = await createMockUpstream({ name: 'backup' });
      const json = await jsonOf(await fetch(`${plain.url}/chat/completions`, { method: 'POST', body: '{}' }));
      expect(json.choices[0].message.content).toBe('Hello from backup! This is a streamed reply from a mock upstream.');
      expect(json.model).toBe('mock-model');
      await plain.close();
    } finally {
      await named.close();
    }
  });

  it('lists models', async () => {
    const res = await fetch(`${mock.url}/models`);
    expect(await jsonOf(res)).toEqual({
      object: 'list',
      data: [{ id: 'mock-model', object: 'model', created: expect.any(Number), owned_by: 'mock' }],
    });
    const custom = await createMockUpstream({ models: ['a', 'b'], basePath: '/openai/v1/' });
    try {
      expect(custom.url).toBe(`${custom.origin}/openai/v1`);
      const list = await jsonOf(await fetch(`${custom.url}/models`));
      expect(list.data.map((m: { id: string }) => m.id)).toEqual(['a', 'b']);
    } finally {
      await custom.close();
    }
  });

  it('answers embeddings for a string or an array, deterministically', async () => {
    const embed = async (input: unknown) =>
      fetch(`${mock.url}/embeddings`, { method: 'POST', body: JSON.stringify({ model: 'emb', input }) });
    const one = await jsonOf(await embed('hello'));
    expect(one).toMatchObject({ object: 'list', model: 'emb', usage: { prompt_tokens: 2, total_tokens: 2 } });
    expect(one.data).toHaveLength(1);
    expect(one.data[0]).toMatchObject({ object: 'embedding', index: 0 });
    expect(one.data[0].embedding).toHaveLength(8);
    const many = await jsonOf(await embed(['hello', 'world']));
    expect(many.data.map((d: { index: number }) => d.index)).toEqual([0, 1]);
    expect(many.data[0].embedding).toEqual(one.data[0].embedding);
    expect(many.data[1].embedding).not.toEqual(one.data[0].embedding);
    const bad = await embed(42);
    expect(bad.status).toBe(400);
    expect((await jsonOf(bad)).error.param).toBe('input');
    expect(mock.count).toBe(3);
  });

  it('answers unknown paths with a 404 error envelope', async () => {
    const res = await fetch(`${mock.url}/nope`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect((await jsonOf(res)).error).toMatchObject({ type: 'invalid_request_error', code: 'unknown_url' });
  });
});

describe('recording', () => {
  it('records every request with headers and body, counting only completions', async () => {
    await (await chat({ stream: false })).text();
    await (await fetch(`${mock.url}/models`)).text();
    await (await fetch(`${mock.url}/chat/completions?x=1`, { method: 'POST', body: 'not json' })).text();
    expect(mock.count).toBe(2);
    expect(mock.requests.map((r) => [r.id, r.method, r.path])).toEqual([
      [1, 'POST', '/v1/chat/completions'],
      [2, 'GET', '/v1/models'],
      [3, 'POST', '/v1/chat/completions'],
    ]);
    expect(mock.requests[0].headers.authorization).toBe('Bearer sk-test');
    expect(mock.requests[0].body.model).toBe('gpt-test');
    expect(mock.requests[1].body).toBeUndefined();
    expect(mock.requests[2].body).toBe('not json');
    expect(mock.requests.every((r) => !r.abandoned && r.fault === undefined)).toBe(true);
  });

  it('reset() forgets requests, counters and faults', async () => {
    mock.setFault({ status: 500 });
    mock.queueFaults({ status: 401 });
    mock.onRequest(() => ({ status: 403 }));
    await (await chat()).text();
    mock.reset();
    expect(mock.requests).toEqual([]);
    expect(mock.count).toBe(0);
    expect(mock.abandoned).toBe(0);
    const res = await chat();
    expect(res.status).toBe(200);
    expect((await jsonOf(res)).id).toBe('chatcmpl-mock-1');
  });

  it('reset() goes back to the fault given in the options', async () => {
    const faulty = await createMockUpstream({ fault: { status: 502 } });
    try {
      faulty.setFault(null);
      faulty.reset();
      const res = await fetch(`${faulty.url}/chat/completions`, { method: 'POST', body: '{}' });
      expect(res.status).toBe(502);
    } finally {
      await faulty.close();
    }
  });
});

describe('faults', () => {
  it('status sends an OpenAI error envelope and Retry-After', async () => {
    mock.setFault({ status: 429, retryAfter: 7 });
    const res = await chat({ stream: true });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(await jsonOf(res)).toEqual({
      error: { message: 'mock error 429', type: 'rate_limit_error', code: null, param: null },
    });
    expect(mock.requests[0].fault).toEqual({ status: 429, retryAfter: 7 });
    expect(mock.requests[0].body.stream).toBe(true);
  });

  it('status picks the error type by status and sends a custom body as given', async () => {
    mock.queueFaults({ status: 503 }, { status: 400 }, { status: 500, body: 'oops', contentType: 'text/plain' });
    expect((await jsonOf(await chat())).error.type).toBe('server_error');
    expect((await jsonOf(await chat())).error.type).toBe('invalid_request_error');
    const custom = await chat();
    expect(custom.headers.get('content-type')).toBe('text/plain');
    expect(await custom.text()).toBe('oops');
  });

  it('retryAfter alone implies 429 and passes an HTTP-date through', async () => {
    const date = 'Wed, 21 Oct 2015 07:28:00 GMT';
    mock.setFault({ retryAfter: date });
    const res = await chat();
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe(date);
  });

  it('reset makes fetch reject, recorded but not abandoned', async () => {
    mock.setFault({ reset: true });
    await expect(chat()).rejects.toThrow();
    expect(mock.count).toBe(1);
    expect(mock.requests[0].body.model).toBe('gpt-test');
    expect(mock.abandoned).toBe(0);
  });

  it('hang never answers; the client aborting marks the request abandoned', async () => {
    mock.setFault({ hang: true });
    const controller = new AbortController();
    const pending = chat({}, { signal: controller.signal });
    const abandoned = mock.nextAbandoned();
    await waitFor(() => mock.requests[0]?.fault !== undefined);
    controller.abort();
    await expect(pending).rejects.toThrow();
    const req = await abandoned;
    expect(req.id).toBe(1);
    expect(req.abandoned).toBe(true);
    expect(mock.abandoned).toBe(1);
  });

  it('nextAbandoned() still resolves when called after the client left', async () => {
    mock.setFault({ hang: true });
    const controller = new AbortController();
    const pending = chat({}, { signal: controller.signal });
    await waitFor(() => mock.requests[0]?.fault !== undefined);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await waitFor(() => mock.abandoned === 1);
    expect((await mock.nextAbandoned()).id).toBe(1);
  });

  it('firstByteDelayMs answers normally after the delay', async () => {
    mock.setFault({ firstByteDelayMs: 30 });
    const res = await chat({ stream: true });
    expect(contentOf(dataOf(await res.text()))).toBe(DEFAULT_REPLY);
  });

  it('a client leaving during firstByteDelayMs is an abandonment', async () => {
    mock.setFault({ firstByteDelayMs: 60_000 });
    const controller = new AbortController();
    const pending = chat({}, { signal: controller.signal });
    await waitFor(() => mock.requests[0]?.fault !== undefined);
    controller.abort();
    await expect(pending).rejects.toThrow();
    expect((await mock.nextAbandoned()).id).toBe(1);
  });

  it('dieAfterChunks cuts a stream after N events', async () => {
    mock.setFault({ dieAfterChunks: 3 });
    const res = await chat({ stream: true });
    expect(res.status).toBe(200);
    const { text, error } = await drain(res);
    expect(error).toBeDefined();
    const payloads = dataOf(text);
    expect(payloads).toHaveLength(3);
    expect(JSON.parse(payloads[0]).choices[0].delta.role).toBe('assistant');
    expect(payloads).not.toContain('[DONE]');
    expect(mock.abandoned).toBe(0);
  });

  it('dieAfterChunks cuts a JSON body halfway', async () => {
    mock.setFault({ dieAfterChunks: 1 });
    const res = await chat();
    expect(res.status).toBe(200);
    await expect(res.json()).rejects.toThrow();
  });

  it('errorAfterChunks sends an in-stream error event and ends without [DONE]', async () => {
    mock.setFault({ errorAfterChunks: 2 });
    const { text, error } = await drain(await chat({ stream: true }));
    expect(error).toBeUndefined();
    const payloads = dataOf(text);
    expect(payloads).toHaveLength(3);
    expect(JSON.parse(payloads[2])).toEqual({
      error: { message: 'mock in-stream error', type: 'server_error', code: null, param: null },
    });
    expect(payloads).not.toContain('[DONE]');
  });

  it('malformed sends JSON that does not parse', async () => {
    mock.setFault({ malformed: true });
    const res = await chat();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    await expect(res.json()).rejects.toThrow(SyntaxError);
  });

  it('malformed sends a first SSE event that does not parse, then ends', async () => {
    mock.setFault({ malformed: true });
    const res = await chat({ stream: true });
    const payloads = dataOf(await res.text());
    expect(payloads).toHaveLength(1);
    expect(() => JSON.parse(payloads[0])).toThrow(SyntaxError);
  });

  it('dripMs slows a stream without changing it', async () => {
    mock.setFault({ dripMs: 5 });
    const res = await chat({ stream: true });
    const payloads = dataOf(await res.text());
    expect(contentOf(payloads)).toBe(DEFAULT_REPLY);
    expect(payloads.at(-1)).toBe('[DONE]');
  });

  it('dripMs delivers a JSON body in pieces that still parse', async () => {
    mock.setFault({ dripMs: 5 });
    const body = await jsonOf(await chat());
    expect(body.choices[0].message.content).toBe(DEFAULT_REPLY);
  });

  it('a client cancelling a dripping stream abandons it', async () => {
    mock.setFault({ dripMs: 50 });
    const res = await chat({ stream: true });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    const req = await mock.nextAbandoned();
    expect(req.abandoned).toBe(true);
    expect(mock.abandoned).toBe(1);
  });

  it('a client cancelling a slow healthy stream abandons it', async () => {
    const slow = await createMockUpstream({ chunkDelayMs: 50 });
    try {
      const res = await fetch(`${slow.url}/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ stream: true, messages: [] }),
      });
      const reader = res.body!.getReader();
      await reader.read();
      await reader.cancel();
      expect((await slow.nextAbandoned()).id).toBe(1);
    } finally {
      await slow.close();
    }
  });

  it('raw replays bytes exactly, with the default content type', async () => {
    const raw = 'data: {"x":"héllo ✓"}\n\ndata: {"y":2}\n\n: comment\n\ndata: [DONE]\n\n';
    mock.queueFaults({ raw }, { raw, dripMs: 5 }, { raw: Buffer.from('{"a":1}') });
    for (const expected of [raw, raw]) {
      const res = await chat({ stream: true });
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(expected))).toBe(true);
    }
    const json = await chat();
    expect(json.headers.get('content-type')).toBe('application/json');
    expect(await json.text()).toBe('{"a":1}');
  });

  it('raw honours contentType', async () => {
    mock.setFault({ raw: 'hello', contentType: 'text/plain' });
    const res = await chat();
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(await res.text()).toBe('hello');
  });
});

describe('choosing faults', () => {
  it('queueFaults applies in order, then the server fault again', async () => {
    mock.setFault({ status: 500 });
    mock.queueFaults({ status: 429 }, null, { status: 401 });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await chat()).status);
    expect(statuses).toEqual([429, 200, 401, 500, 500]);
    mock.setFault(null);
    expect((await chat()).status).toBe(200);
  });

  it('the queue and server fault skip non-completion requests', async () => {
    mock.setFault({ status: 500 });
    mock.queueFaults({ status: 429 });
    expect((await fetch(`${mock.url}/models`)).status).toBe(200);
    expect((await chat()).status).toBe(429);
  });

  it('onRequest wins when it returns a fault and leaves the queue untouched', async () => {
    mock.queueFaults({ status: 429 });
    mock.onRequest((req) => (req.body.model === 'bad' ? { status: 400 } : undefined));
    expect((await chat({ model: 'bad' })).status).toBe(400);
    expect((await chat({ model: 'good' })).status).toBe(429);
    expect((await chat({ model: 'good' })).status).toBe(200);
    mock.onRequest((req) => (req.path.endsWith('/models') ? { status: 503 } : null));
    expect((await fetch(`${mock.url}/models`)).status).toBe(503);
    mock.onRequest(null);
    expect((await fetch(`${mock.url}/models`)).status).toBe(200);
  });
});

describe('close()', () => {
  it('destroys hung requests and leaves no sockets, servers or timers behind', async () => {
    // Let handles of earlier tests finish closing, so they cannot hide a leak here.
    for (let turn = 0; turn < 10; turn++) await tick();
    const before = handles();
    const server = await createMockUpstream({ fault: { hang: true } });
    const delayed = await createMockUpstream({ fault: { firstByteDelayMs: 60_000 } });
    const outcomes = [server, delayed].map((m) => rawPost(m.port));
    await waitFor(() => server.requests.length === 1 && delayed.requests[0]?.fault !== undefined);
    await Promise.all([server.close(), delayed.close()]);
    await Promise.all(outcomes.map((o) => expect(o).rejects.toThrow()));
    await server.close(); // idempotent
    // Destroyed handles are released a few loop turns later; a leak never is.
    // At most as many as before: sockets of earlier tests may still be closing.
    const settled = () => Object.keys(before).every((kind) => handles()[kind] <= before[kind]);
    for (let turn = 0; turn < 100 && !settled(); turn++) await tick();
    const after = handles();
    for (const kind of Object.keys(before)) expect(after[kind]).toBeLessThanOrEqual(before[kind]);
    expect(server.abandoned + delayed.abandoned).toBe(0);
    await expect(rawPost(server.port)).rejects.toThrow(/ECONNREFUSED/);
  });
});

/** Live sockets, servers and timers of this process, by kind. */
function handles(): Record<string, number> {
  const counts: Record<string, number> = { TCPSocketWrap: 0, TCPServerWrap: 0, Timeout: 0 };
  for (const kind of getActiveResourcesInfo()) if (kind in counts) counts[kind]++;
  return counts;
}

/** A POST over a fresh connection (no pooling), so its socket is ours to watch. */
function rawPost(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/v1/chat/completions', agent: false });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end('{}');
  });
}

/** Wait until `check` holds, polling once per event-loop turn. */
async function waitFor(check: () => boolean): Promise<void> {
  while (!check()) await tick();
}
