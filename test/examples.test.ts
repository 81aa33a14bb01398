/**
 * The three example servers, offline (flaky mock primary, healthy mock backup), answer
 * the official `openai` client: a completion, a stream, the model list, and the host's
 * own 401 for a wrong key.
 */
import OpenAI from 'openai';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createExampleApp as createExpressExample } from '../examples/express/server.js';
import { createExampleApp as createKoaExample } from '../examples/koa/server.js';
import { createExampleApp as createNestExample } from '../examples/nest/server.js';
import { closeServer, listen } from './helpers/harness.js';

const CLIENT_KEY = 'example-client-key';
// No provider keys: the examples start their offline mocks.
const ENV = { SWITCHYARD_CLIENT_KEY: CLIENT_KEY, LOG_LEVEL: 'silent' };
const REPLY = /^Hello from (primary|backup)! This is a streamed reply from a mock upstream\.$/;
const messages = [{ role: 'user' as const, content: 'Hello' }];

interface Running {
  /** Origin of the host, e.g. `http://127.0.0.1:PORT`. */
  origin: string;
  close(): Promise<void>;
}

const EXAMPLES: { name: string; start(): Promise<Running> }[] = [
  {
    name: 'express',
    async start() {
      const example = await createExpressExample(ENV);
      const { server, origin } = await listen(example.app);
      return { origin, close: async () => (await closeServer(server), await example.close()) };
    },
  },
  {
    name: 'koa',
    async start() {
      const example = await createKoaExample(ENV);
      const { server, origin } = await listen(example.app.callback());
      return { origin, close: async () => (await closeServer(server), await example.close()) };
    },
  },
  {
    name: 'nest',
    async start() {
      const example = await createNestExample(ENV);
      await example.app.listen(0, '127.0.0.1');
      const { port } = example.app.getHttpServer().address() as AddressInfo;
      return { origin: `http://127.0.0.1:${port}`, close: () => example.close() };
    },
  },
];

beforeAll(() => {
  // The Express example logs each request with console.log.
  vi.spyOn(console, 'log').mockImplementation(() => {});
});
afterAll(() => {
  vi.restoreAllMocks();
});

describe.each(EXAMPLES)('the $name example', ({ start }) => {
  let running: Running | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  async function client(apiKey = CLIENT_KEY): Promise<OpenAI> {
    running = await start();
    return new OpenAI({ baseURL: `${running.origin}/v1`, apiKey, maxRetries: 0 });
  }

  it('answers a chat completion, whichever mock served it', async () => {
    const openai = await client();
    const { data, response } = await openai.chat.completions.create({ model: 'gpt-4.1', messages }).withResponse();
    expect(data.choices[0]!.message.content).toMatch(REPLY);
    expect(response.headers.get('x-switchyard-provider')).toMatch(/^(primary|backup)$/);
    // A second request runs into the flaky primary's failures and is still answered.
    const again = await openai.chat.completions.create({ model: 'gpt-4.1', messages });
    expect(again.choices[0]!.message.content).toMatch(REPLY);
  });

  it('streams a chat completion', async () => {
    const openai = await client();
    const stream = await openai.chat.completions.create({ model: 'gpt-4.1', messages, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toMatch(REPLY);
  });

  it('lists the public model', async () => {
    const openai = await client();
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['gpt-4.1']);
  });

  it('rejects a wrong key with the host’s own 401', async () => {
    const openai = await client('wrong-key');
    await expect(openai.chat.completions.create({ model: 'gpt-4.1', messages })).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
  });
});

describe('the nest example', () => {
  it('takes a chat over Nest’s default 100 kb JSON limit (useBodyParser raised it)', async () => {
    const running = await EXAMPLES[2]!.start();
    try {
      const openai = new OpenAI({ baseURL: `${running.origin}/v1`, apiKey: CLIENT_KEY, maxRetries: 0 });
      const long = [{ role: 'user' as const, content: 'x'.repeat(300_000) }];
      const completion = await openai.chat.completions.create({ model: 'gpt-4.1', messages: long });
      expect(completion.choices[0]!.message.content).toMatch(REPLY);
    } finally {
      await running.close();
    }
  });


  it('streams its own route through SwitchyardService.stream() and @Sse()', async () => {
    const running = await EXAMPLES[2]!.start();
    try {
      const res = await fetch(`${running.origin}/haiku?topic=breakers`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const text = (await res.text())
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice('data: '.length))
        .join('');
      expect(text).toMatch(REPLY);
    } finally {
      await running.close();
    }
  });
});
