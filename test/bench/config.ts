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

/** A chat completion request body (the same bytes for every case but the model name). */
export function chatBody(model: string, stream: boolean): string {
  return JSON.stringify({ model, messages: PROMPT, max_tokens: 300, temperature: 0, ...(stream ? { stream: true } : {}) });
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
  failover: { latencyMs: number; requests: number; warmup: number; maxMs: number; skipped: number };
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
    failover: { latencyMs: 5, requests: 100, warmup: 5, maxMs: 600, skipped: 10 },
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
    failover: { latencyMs: 5, requests: 40, warmup: 3, maxMs: 250, skipped: 10 },
  },
};
