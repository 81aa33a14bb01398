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
import { Exchange } from './exchange.js';
import { FaultPlan } from './faults.js';
import { estimatePromptTokens } from './openai-mock.js';
import { protocolFor } from './protocols.js';
import { reasoningRefusal } from './reasoning-params.js';
import type { MockRoute } from './protocol.js';
import { respond, type Payload } from './respond.js';
import type { MockFault, MockReply, MockRequest, MockUpstream, MockUpstreamOptions } from './types.js';

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
  const protocol = protocolFor(options, normaliseBasePath);
  const basePath = protocol.basePath;
  const chunkDelayMs = options.chunkDelayMs ?? 0; // ms
  const reply = options.reply ?? `Hello from ${name}! This is a streamed reply from a mock upstream.`;
  const faults = new FaultPlan(options.fault ?? null);
  const reasoning = options.reasoningModels === true ? /^(o\d|gpt-5)/ : options.reasoningModels || undefined;

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

  const markAbandoned = (req: MockRequest) => {
    req.abandoned = true;
    abandonedCount++;
    const waiter = waiters.shift();
    if (waiter) waiter(req);
    else unclaimed.push(req);
  };

  const payloadFor = async (route: MockRoute | null, req: MockRequest, rawBody: string): Promise<Payload> => {
    const dialect = protocol.dialect(route);
    if (route?.kind === 'models' && protocol.models) return { type: 'json', status: 200, body: protocol.models(models) };
    if (route === null || route.kind === 'models') {
      const message = `Unknown request URL: ${req.method} ${req.path}.`;
      return { type: 'json', status: 404, body: dialect.error(404, message, 'unknown_url'), headers: dialect.errorHeaders?.(404) };
    }
    const refused = await protocol.authorize?.(req, route, rawBody);
    if (refused) return refused;
    const body: unknown = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      const message = 'We could not parse the JSON body of your request.';
      return { type: 'json', status: 400, body: dialect.error(400, message), headers: dialect.errorHeaders?.(400) };
    }
    const fields = body as Record<string, unknown>;
    const asked = typeof fields.model === 'string' ? fields.model : undefined;
    if (route.kind === 'chat' && reasoning && asked !== undefined && reasoning.test(asked)) {
      const refusal = reasoningRefusal(fields);
      if (refusal) return { type: 'json', status: 400, body: refusal };
    }
    if (route.kind === 'count_tokens') return { type: 'json', status: 200, body: { input_tokens: estimatePromptTokens(fields.messages) } };
    const answer = route.kind === 'chat' || route.kind === 'responses' ? (typeof reply === 'function' ? reply(req) : reply) : '';
    const { text = '', toolCalls = [] }: MockReply = typeof answer === 'string' ? { text: answer } : answer;
    const model = route.model ?? (typeof fields.model === 'string' ? fields.model : models[0]!);
    const calls = toolCalls.map((c, n) => ({
      id: c.id ?? `${protocol.toolIdPrefix}_mock_${req.id}_${n}`,
      name: c.name,
      input: c.input ?? {},
    }));
    return protocol.payload(route, fields, { n: req.id, model, text, toolCalls: calls });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const [path = '/', query = ''] = (req.url ?? '/').split('?');
    const route = protocol.route(method, path, new URLSearchParams(query));
    const isCompletion = route?.kind === 'chat' || route?.kind === 'responses' || route?.kind === 'embeddings';
    const record: MockRequest = {
      id: requests.length + 1,
      method,
      path,
      query,
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
      const rawBody = await readBody(req);
      record.body = parseBody(rawBody);
      const fault = faults.pick(record, isCompletion);
      if (fault) record.fault = fault;
      await respond(ex, await payloadFor(route, record, rawBody), chunkDelayMs, fault, protocol.dialect(route));
    } catch (err) {
      // The client left or we are closing: nobody to answer.
      if (ex.signal.aborted || req.socket.destroyed) return;
      // A bug in the mock (or a throwing `reply`) must fail the test loudly, not hang it.
      if (res.headersSent) return void res.destroy();
      const message = `mock upstream failed: ${err instanceof Error ? err.message : String(err)}`;
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(protocol.dialect(route).error(500, message)));
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
