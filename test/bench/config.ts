/**
 * @module
 * What every bench process agrees on: the fixed completion, the request bodies, and the
 * plan of a run (how long each measurement lasts, how often it is repeated).
 */

const SENTENCE =
  'A relay earns its place only when it adds next to nothing to each request, so this reply is long enough to look like a real answer from a model, ' +
  'with plain words, a few numbers like 42 and 3.14, and punctuation; it streams one word per chunk.';

/** The mock's fixed reply: 200 word tokens, so ~200 tokens as JSON and ~200 content chunks as a stream. */
export const REPLY: string = (() => {
  const words = SENTENCE.split(' ');
  const out: string[] = [];
  for (let i = 0; i < 200; i++) out.push(words[i % words.length]!);
  return out.join(' ');
})();

/**
 * Public models the relays serve: from the fast mock, from the slow-stream mock (memory
 * runs) and from the paced mock (time to first token).
 */
export const MODEL = 'bench';
export const SLOW_MODEL = 'bench-slow';
export const PACED_MODEL = 'bench-paced';
/** The model id the relays send upstream. */
export const UPSTREAM_MODEL = 'mock-model';
/** The slow-streaming model of the 10,000-stream memory run. */
export const SLOW10K_MODEL = 'bench-slow10k';

/**
 * Models of a target that speaks the client's format (native): OpenAI with the Responses
 * API, and Claude. The same request with {@link MODEL} is translated to chat.
 */
export const FORMAT_MODELS = { responses: 'fmt-responses', messages: 'fmt-messages' } as const;

/** Answer lengths of the growth runs, in content events (words). */
export const GROWTH_EVENTS = [10, 100, 1_000, 10_000];
/** Prompt sizes of the growth runs, in KiB of message text. */
export const GROWTH_PROMPT_KB = [1, 10, 100, 1_000];

/** The public model whose answer has `events` words. */
export function growthModel(events: number): string {
  return `growth-${events}`;
}

/** The mock's reply for a model: `growth-N` and `mock-wN` answer N words, the rest {@link REPLY}. */
export function replyFor(model: string): string {
  const n = /(?:growth-|mock-w)(\d+)$/.exec(model);
  if (!n) return REPLY;
  const words = REPLY.split(' ');
  return Array.from({ length: Number(n[1]) }, (_, i) => words[i % words.length]).join(' ');
}

const PROMPT = [
  { role: 'system', content: 'You are a concise assistant. Answer in plain English, without lists or headings.' },
  {
    role: 'user',
    content:
      'Explain in about two hundred words why an application would put a relay with fallbacks, retries and circuit breakers between itself and its model providers.',
  },
];

/**
 * The paced mock's answer, replayed byte for byte with a pause between events: the role
 * preamble, then tokens one by one. A model's first token comes on its own, after the
 * preamble; with the 200-chunk stream sent in one burst, every Node process on the way
 * would hand the client the first token only together with the rest (Node corks the
 * writes of one tick), so time to first byte is measured on this stream instead.
 */
export const PACED_TOKENS = 4;

export function pacedStream(): string {
  const chunk = (delta: object, finish: string | null) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-paced', object: 'chat.completion.chunk', created: 1_700_000_000, model: UPSTREAM_MODEL, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
  const tokens = REPLY.split(' ').slice(0, PACED_TOKENS).map((w, i) => (i === 0 ? w : ` ${w}`));
  return [
    chunk({ role: 'assistant', content: '', refusal: null }, null),
    ...tokens.map((t) => chunk({ content: t }, null)),
    chunk({}, 'stop'),
    'data: [DONE]\n\n',
  ].join('');
}

/** `kb` KiB of plain words, for the growth runs' prompts. */
function filler(kb: number): string {
  const words = 'the relay reads only what it must and forwards the rest as it came '.repeat(Math.ceil((kb * 1024) / 68));
  return words.slice(0, kb * 1024);
}

/** A chat completion request body (the same bytes for every case but the model name); `promptKB` adds that much text. */
export function chatBody(model: string, stream: boolean, promptKB = 0): string {
  const messages = promptKB > 0 ? [PROMPT[0], { role: 'user', content: filler(promptKB) }] : PROMPT;
  return JSON.stringify({ model, messages, max_tokens: 300, temperature: 0, ...(stream ? { stream: true } : {}) });
}

/** The same question as an OpenAI Responses request. */
export function responsesBody(model: string, stream: boolean): string {
  return JSON.stringify({ model, instructions: PROMPT[0]!.content, input: PROMPT[1]!.content, max_output_tokens: 300, temperature: 0, ...(stream ? { stream: true } : {}) });
}

/** The same question as an Anthropic Messages request. */
export function messagesBody(model: string, stream: boolean): string {
  return JSON.stringify({ model, system: PROMPT[0]!.content, messages: [PROMPT[1]], max_tokens: 300, temperature: 0, ...(stream ? { stream: true } : {}) });
}

/** Durations, counts and repeats of one run. */
export interface Plan {
  name: 'default' | 'quick';
  /** Each measured block is repeated this many times, cases interleaved. */
  repeats: number;
  /** Saturation warm-up per case before the first repeat (ms). */
  warmupMs: number;
  sequential: { requests: number; warmup: number; maxMs: number };
  stream: { requests: number; warmup: number; maxMs: number };
  /** Time to first token on the paced stream; `gapMs` between its events. */
  firstToken: { requests: number; warmup: number; maxMs: number; gapMs: number };
  fixedRate: { rate: number; connections: number; warmupMs: number; durationMs: number };
  saturation: { connections: number[]; durationMs: number };
  streams: { count: number; chunkDelayMs: number; openTimeoutMs: number; holdMs: number };
  /** The many-streams run (node:http relay and floor); `count` stays under the process's file limit (two sockets a stream). */
  manyStreams: { count: number; chunkDelayMs: number; openTimeoutMs: number; holdMs: number };
  failover: { latencyMs: number; requests: number; warmup: number; maxMs: number; skipped: number };
  /** Responses and Messages clients, native and translated (sequential, interleaved). */
  formats: { requests: number; warmup: number; maxMs: number };
  /** Growth with the prompt and with the answer (sequential, interleaved; per size). */
  growth: { requests: number; warmup: number; maxMs: number };
  /** A caller limit and budget on the memory store and on Redis (sequential, interleaved). */
  store: { requests: number; warmup: number; maxMs: number };
}

export const PLANS: Record<Plan['name'], Plan> = {
  default: {
    name: 'default',
    repeats: 3,
    warmupMs: 700,
    sequential: { requests: 1_500, warmup: 30, maxMs: 700 },
    stream: { requests: 120, warmup: 5, maxMs: 700 },
    firstToken: { requests: 150, warmup: 5, maxMs: 700, gapMs: 1 },
    fixedRate: { rate: 1_000, connections: 64, warmupMs: 300, durationMs: 1_500 },
    saturation: { connections: [16, 64], durationMs: 1_200 },
    streams: { count: 1_000, chunkDelayMs: 100, openTimeoutMs: 6_000, holdMs: 1_000 },
    manyStreams: { count: 9_900, chunkDelayMs: 2_000, openTimeoutMs: 60_000, holdMs: 2_000 },
    failover: { latencyMs: 5, requests: 100, warmup: 5, maxMs: 600, skipped: 10 },
    formats: { requests: 400, warmup: 10, maxMs: 500 },
    growth: { requests: 200, warmup: 5, maxMs: 600 },
    store: { requests: 1_500, warmup: 50, maxMs: 1_500 },
  },
  quick: {
    name: 'quick',
    repeats: 1,
    warmupMs: 300,
    sequential: { requests: 400, warmup: 20, maxMs: 300 },
    stream: { requests: 40, warmup: 3, maxMs: 300 },
    firstToken: { requests: 50, warmup: 3, maxMs: 300, gapMs: 1 },
    fixedRate: { rate: 1_000, connections: 64, warmupMs: 200, durationMs: 800 },
    saturation: { connections: [16], durationMs: 800 },
    streams: { count: 300, chunkDelayMs: 100, openTimeoutMs: 4_000, holdMs: 300 },
    manyStreams: { count: 2_000, chunkDelayMs: 2_000, openTimeoutMs: 20_000, holdMs: 500 },
    failover: { latencyMs: 5, requests: 40, warmup: 3, maxMs: 250, skipped: 10 },
    formats: { requests: 60, warmup: 3, maxMs: 200 },
    growth: { requests: 30, warmup: 2, maxMs: 250 },
    store: { requests: 300, warmup: 20, maxMs: 400 },
  },
};
