/**
 * @module
 * A real HTTP server on 127.0.0.1 that speaks the OpenAI API (or Anthropic's
 * Messages API) and fails on request. Tests point a relay (or any client) at
 * its `url`, choose faults, and then check what the mock received and which
 * requests the client gave up on.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ANTHROPIC_DIALECT, anthropicModelList, anthropicPayload } from './anthropic-mock.js';
import { Exchange } from './exchange.js';
import { FaultPlan } from './faults.js';
import {
  chatCompletion,
  chatCompletionFrames,
  embeddingList,
  estimatePromptTokens,
  modelList,
} from './openai-mock.js';
import { OPENAI_DIALECT, respond, type Payload } from './respond.js';
import { RESPONSES_DIALECT, responsesPayload } from './responses-mock.js';
import type { MockFault, MockReply, MockRequest, MockUpstream, MockUpstreamOptions } from './types.js';

type Route = 'chat' | 'responses' | 'embeddings' | 'count_tokens' | 'models' | null;

/**
 * Start a mock OpenAI-compatible upstream on an ephemeral port of 127.0.0.1.
 *
 * Healthy answers look like OpenAI's: `POST /chat/completions` (JSON, or SSE
 * with `stream: true`, usage chunk only with
 * `stream_options.include_usage`), `GET /models`, `POST /embeddings`, and a
 * 404 error envelope elsewhere. Prompt tokens are estimated as
 * ceil(characters of message text / 4); completion tokens are the reply's
 * word tokens. With `protocol: 'anthropic'` it speaks the Messages API
 * instead (see {@link MockUpstreamOptions.protocol}).
 *
 * @example
 * ```ts
 * import { createMockUpstream } from 'switchyard/testing';
 *
 * const primary = await createMockUpstream({ name: 'primary' });
 * const backup = await createMockUpstream({ name: 'backup' });
 * primary.queueFaults({ status: 503, retryAfter: 1 }, { reset: true });
 * // ... point your relay's targets at primary.url and backup.url, send a request ...
 * expect(primary.count).toBe(2);
 * expect(backup.requests[0].headers.authorization).toBe('Bearer backup-key');
 * await Promise.all([primary.close(), backup.close()]);
 * ```
 */
export async function createMockUpstream(options: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const name = options.name ?? 'mock';
  const models = options.models ?? ['mock-model'];
  const basePath = normaliseBasePath(options.basePath ?? '/v1');
  const chunkDelayMs = options.chunkDelayMs ?? 0; // ms
  const reply = options.reply ?? `Hello from ${name}! This is a streamed reply from a mock upstream.`;
  const faults = new FaultPlan(options.fault ?? null);
  const anthropic = options.protocol === 'anthropic';
  const dialect = anthropic ? ANTHROPIC_DIALECT : OPENAI_DIALECT;

  let requests: MockRequest[] = [];
  let count = 0;
  let abandonedCount = 0;
  // Abandoned requests not yet handed out, and callers waiting for one.
  let unclaimed: MockRequest[] = [];
  const waiters: ((req: MockRequest) => void)[] = [];
  // Bumped by reset(), so requests from before it stop touching the counters.
  let generation = 0;
  let closing = false;
  let closed: Promise<void> | undefined;
  const sockets = new Set<Socket>();
  const inFlight = new Set<Exchange>();

  const routeOf = (method: string, path: string): Route => {
    if (method === 'POST' && path === `${basePath}${anthropic ? '/messages' : '/chat/completions'}`) return 'chat';
    if (method === 'POST' && path === `${basePath}/responses` && !anthropic) return 'responses';
    if (method === 'POST' && path === `${basePath}/embeddings` && !anthropic) return 'embeddings';
    if (method === 'POST' && path === `${basePath}/messages/count_tokens` && anthropic) return 'count_tokens';
    if (method === 'GET' && path === `${basePath}/models`) return 'models';
    return null;
  };

  const markAbandoned = (req: MockRequest) => {
    req.abandoned = true;
    abandonedCount++;
    const waiter = waiters.shift();
    if (waiter) waiter(req);
    else unclaimed.push(req);
  };

  const payloadFor = (route: Route, req: MockRequest): Payload => {
    if (route === 'models') return { type: 'json', status: 200, body: anthropic ? anthropicModelList(models) : modelList(models) };
    if (route === null) {
      const message = `Unknown request URL: ${req.method} ${req.path}.`;
      return { type: 'json', status: 404, body: dialect.error(404, message, 'unknown_url') };
    }
    const body: unknown = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      const message = 'We could not parse the JSON body of your request.';
      return { type: 'json', status: 400, body: dialect.error(400, message) };
    }
    const fields = body as Record<string, unknown>;
    if (route === 'embeddings') return { type: 'json', ...embeddingList(fields, models[0]) };
    if (route === 'count_tokens') return { type: 'json', status: 200, body: { input_tokens: estimatePromptTokens(fields.messages) } };
    const answer = typeof reply === 'function' ? reply(req) : reply;
    const { text = '', toolCalls = [] }: MockReply = typeof answer === 'string' ? { text: answer } : answer;
    const model = typeof fields.model === 'string' ? fields.model : models[0];
    const calls = toolCalls.map((c, n) => ({
      id: c.id ?? `${anthropic ? 'toolu' : 'call'}_mock_${req.id}_${n}`,
      name: c.name,
      input: c.input ?? {},
    }));
    if (anthropic) return anthropicPayload({ id: `msg_mock_${req.id}`, model, text, toolCalls: calls }, fields);
    if (route === 'responses') return responsesPayload({ id: `resp_mock_${req.id}`, model, text, toolCalls: calls, createdAt: Math.floor(Date.now() / 1000) }, fields);
    const parts = {
      id: `chatcmpl-mock-${req.id}`,
      created: Math.floor(Date.now() / 1000),
      model,
      reply: text,
      toolCalls: calls,
      promptTokens: estimatePromptTokens(fields.messages),
    };
    if (fields.stream !== true) return { type: 'json', status: 200, body: chatCompletion(parts) };
    const options = fields.stream_options as { include_usage?: unknown } | undefined;
    return { type: 'sse', frames: chatCompletionFrames(parts, options?.include_usage === true) };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0];
    const route = routeOf(method, path);
    const isCompletion = route === 'chat' || route === 'responses' || route === 'embeddings';
    const record: MockRequest = {
      id: requests.length + 1,
      method,
      path,
      headers: req.headers,
      body: undefined,
      abandoned: false,
    };
    const born = generation;
    requests.push(record);
    if (isCompletion) count++;

    const ex = new Exchange(res);
    inFlight.add(ex);
    // 'close' fires once per response, finished or not; `once` removes the listener with it.
    res.once('close', () => {
      inFlight.delete(ex);
      const byClient = !ex.cutByServer && !closing;
      if (!res.writableFinished && byClient && born === generation) markAbandoned(record);
      ex.abort();
    });

    try {
      record.body = parseBody(await readBody(req));
      const fault = faults.pick(record, isCompletion);
      if (fault) record.fault = fault;
      await respond(ex, payloadFor(route, record), chunkDelayMs, fault, route === 'responses' ? RESPONSES_DIALECT : dialect);
    } catch (err) {
      // The client left or we are closing: nobody to answer.
      if (ex.signal.aborted || req.socket.destroyed) return;
      // A bug in the mock (or a throwing `reply`) must fail the test loudly, not hang it.
      if (res.headersSent) return void res.destroy();
      const message = `mock upstream failed: ${err instanceof Error ? err.message : String(err)}`;
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(dialect.error(500, message)));
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('mock upstream: no TCP address');
  const port = address.port;
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: origin + basePath,
    origin,
    port,
    get requests() {
      return requests;
    },
    get count() {
      return count;
    },
    get abandoned() {
      return abandonedCount;
    },
    setFault: (fault: MockFault | null) => faults.setFault(fault),
    queueFaults: (...list: (MockFault | null)[]) => faults.queue(list),
    onRequest: (decide) => faults.onRequest(decide),
    nextAbandoned: () => {
      const ready = unclaimed.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise<MockRequest>((resolve) => waiters.push(resolve));
    },
    reset: () => {
      generation++;
      requests = [];
      count = 0;
      abandonedCount = 0;
      // Waiters stay: they asked for the next abandonment, whenever it comes.
      unclaimed = [];
      faults.reset();
    },
    close: () => {
      closed ??= (async () => {
        closing = true;
        // Aborting first clears every pending delay timer before the sockets go.
        for (const ex of inFlight) ex.abort();
        for (const socket of sockets) socket.destroy();
        if (server.listening) {
          server.close();
          await once(server, 'close');
        }
      })();
      return closed;
    },
  };
}

function normaliseBasePath(basePath: string): string {
  const trimmed = basePath.replace(/\/+$/, '');
  return trimmed === '' || trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
