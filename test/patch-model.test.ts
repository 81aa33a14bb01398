/**
 * The upstream body of an OpenAI-compatible target is the client's bytes with `model`
 * patched in (`json/patch-model.ts`) where that is safe, else the body serialised: the
 * upstream reads the same JSON either way.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelay } from 'switchyard';
import { MAX_BRACKETS, patchModel } from '../src/json/patch-model.js';
import { closeServer, listen } from './helpers/harness.js';

const APPEND = ',"stream_options":{"include_usage":true}';

describe('patchModel', () => {
  it('gives the JSON of the body with the new model, or nothing', () => {
    const body = fc.record({
      model: fc.string(),
      messages: fc.array(fc.record({ role: fc.constantFrom('user', 'system'), content: fc.string() }), { minLength: 1, maxLength: 3 }),
      temperature: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: undefined }),
      extra: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
    });
    let patched = 0;
    fc.assert(
      fc.property(body, fc.string(), fc.boolean(), fc.boolean(), (b, model, pretty, append) => {
        const raw = Buffer.from(JSON.stringify(b, null, pretty ? 2 : undefined));
        const parsed = JSON.parse(raw.toString()) as Record<string, unknown>;
        const out = patchModel(raw, parsed.model as string, model, append ? APPEND : '');
        if (!out) return;
        patched++;
        const expected = { ...parsed, model, ...(append ? { stream_options: { include_usage: true } } : {}) };
        expect(JSON.parse(out.toString())).toEqual(expected);
      }),
      { numRuns: 2_000 },
    );
    expect(patched).toBeGreaterThan(500);
  });

  it('leaves alone what it cannot patch safely', () => {
    const model = (raw: string) => patchModel(Buffer.from(raw), 'a', 'b')?.toString();
    expect(model('{"model":"a","messages":[]}')).toBe('{"model":"b","messages":[]}');
    expect(model(' {"messages": [], "model" : "a" , "t": 1.0}')).toBe(' {"messages": [], "model" : "b" , "t": 1.0}');
    // An escape could spell a key: the top-level one might not be the literal.
    expect(model('{"mod\\u0065l":"a","x":{"model":"a"}}')).toBeUndefined();
    expect(model('{"model":"a","messages":[{"content":"the model"}]}')).toBe('{"model":"b","messages":[{"content":"the model"}]}');
    expect(model('{"model":"a","messages":[{"content":"model"}]}')).toBeUndefined();
    expect(model('{"model":"a","messages":[{"content":"\\"model"}]}')).toBeUndefined();
    expect(model('{"model":"a","x":{"model":"a"}}')).toBeUndefined();
    expect(model('{"model":"\\/a"}')).toBeUndefined();
    expect(model('\ufeff{"model":"a"}')).toBeUndefined();
    // Nested too deep for JSON.stringify, maybe: serialised, so it is refused as before.
    expect(model(`{"model":"a","x":${'['.repeat(MAX_BRACKETS)}${']'.repeat(MAX_BRACKETS)}}`)).toBeUndefined();
    expect(model(`{"model":"a","x":${'['.repeat(MAX_BRACKETS - 2)}${']'.repeat(MAX_BRACKETS - 2)}}`)).toBeDefined();
  });
});

describe('the upstream body', () => {
  const received: string[] = [];
  let upstream: Awaited<ReturnType<typeof listen>>;
  let relay: Awaited<ReturnType<typeof listen>>;
  const answer = JSON.stringify({ id: 'c1', object: 'chat.completion', created: 1, model: 'up', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }] });
  const chunks = ['data: {"id":"c1","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}],"usage":null}\n\n', 'data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}\n\n', 'data: [DONE]\n\n'];

  beforeAll(async () => {
    upstream = await listen((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        const body = Buffer.concat(parts).toString();
        received.push(body);
        if ((JSON.parse(body) as { stream?: boolean }).stream) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.end(chunks.join(''));
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(answer);
        }
      });
    });
    const r = createRelay({ providers: { up: { type: 'openai', baseURL: `${upstream.origin}/v1`, apiKey: 'sk-x' } }, models: { pub: { targets: [{ provider: 'up', model: 'upstream-model' }] } } });
    relay = await listen(r.nodeHandler({ prefix: '/v1' }));
  });
  afterAll(async () => {
    await closeServer(relay.server);
    await closeServer(upstream.server);
  });

  const post = (body: string) => fetch(`${relay.origin}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.text());

  it('is the client bytes with model patched in, spacing and number spellings kept', async () => {
    await post('{"model": "pub", "messages": [{"role": "user", "content": "hé"}], "temperature": 1.0}');
    expect(received.at(-1)).toBe('{"model": "upstream-model", "messages": [{"role": "user", "content": "hé"}], "temperature": 1.0}');
    await post('{"messages":[{"role":"user","content":"x"}],"model":"pub","stream":true}');
    expect(received.at(-1)).toBe('{"messages":[{"role":"user","content":"x"}],"model":"upstream-model","stream":true,"stream_options":{"include_usage":true}}');
  });

  it('is the body serialised where the bytes cannot be patched safely', async () => {
    await post('{"model": "pub", "messages": [{"role": "user", "content": "\\u00e9"}], "temperature": 1.0}');
    expect(received.at(-1)).toBe('{"model":"upstream-model","messages":[{"role":"user","content":"é"}],"temperature":1}');
    await post('{"model":"pub","models":["pub"],"messages":[{"role":"user","content":"x"}]}');
    expect(received.at(-1)).toBe('{"model":"upstream-model","messages":[{"role":"user","content":"x"}]}');
    await post('{"model":"pub","messages":[{"role":"user","content":"x"}],"stream":true,"stream_options":{"include_usage":false}}');
    expect(received.at(-1)).toBe('{"model":"upstream-model","messages":[{"role":"user","content":"x"}],"stream":true,"stream_options":{"include_usage":true}}');
  });
});
