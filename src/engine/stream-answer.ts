/**
 * @module
 * A committed stream, made into what the client reads: SSE frames in its own format.
 * A translated stream runs through `RelayStream` (usage, resume, splice) and then the
 * format's converter; a native one through `NativeStream`. Either way the request is
 * settled once when the stream ends, however it ends, with what each target served.
 */
import type { Ledger, Served } from '../governance/ledger.js';
import { formats, type ClientFormat } from '../formats/index.js';
import { formatUsd } from '../pricing.js';
import type { ChatBody, Usage } from '../providers/provider.js';
import { chatFrames, framed, type ClientStream } from '../stream/client-stream.js';
import { NativeStream } from '../stream/native-stream.js';
import { RelayStream } from '../stream/relay-stream.js';
import { promptTokens } from '../tokens/estimate.js';
import type { ChainSuccess } from './chain.js';
import { converterFor, keepResponse, type ClientRequest } from './client-request.js';
import type { RequestHost } from './host.js';
import type { Report } from './report.js';
import { totalCost } from './report.js';
import { resume } from './resume.js';
import type { ChainRequest } from './runtime.js';

/** What a stream answer needs from its request. */
export interface StreamAnswer {
  client: ClientRequest;
  chain: ChainRequest;
  success: Extract<ChainSuccess, { stream: true }>;
  report: Report;
  /** Frees the request's timers and in-flight slot. */
  release(): void;
  ledger?: Ledger;
  firstTokenMs: number;
  /** The public model or chain, for answers that name none. */
  model: string;
}

/** The events that end a native answer, by format. */
const TERMINAL: Record<string, ReadonlySet<string>> = {
  responses: new Set(['response.completed', 'response.incomplete', 'response.failed']),
  messages: new Set(['message_stop']),
};

/** Builds the client's stream for a committed `success`. */
export function streamAnswer(host: RequestHost, a: StreamAnswer): ClientStream {
  return a.success.native ? nativeAnswer(host, a) : translatedAnswer(host, a);
}

function translatedAnswer(host: RequestHost, a: StreamAnswer): ClientStream {
  const { config } = host;
  const { chain, report, ledger, client } = a;
  const success = a.success as Extract<ChainSuccess, { stream: true; native?: false }>;
  /** Usage reported by each segment's upstream, by segment. */
  const reported: (Usage | undefined)[] = [];
  const spent = (): Served[] =>
    chunks.targets.map((t, i) => ({
      target: t,
      // A segment that ended without reporting usage still cost something: estimate it.
      usage: reported[i] ?? { prompt_tokens: promptTokens(chain.estimate, t), completion_tokens: chunks.sentBy[i] ?? 0, estimated: true },
    }));
  const total = (): Usage => spent().reduce((sum, s) => ({ prompt_tokens: sum.prompt_tokens + s.usage.prompt_tokens, completion_tokens: sum.completion_tokens + s.usage.completion_tokens }), { prompt_tokens: 0, completion_tokens: 0 });
  const converter = client.plan ? converterFor(client, a.model) : undefined;
  const chunks: RelayStream = new RelayStream(
    { committed: success.committed, target: success.target },
    {
      signal: chain.signal,
      attempts: chain.attempts,
      // Other formats read usage from the converter's end, always; chat only when asked for.
      keepUsage: converter !== undefined || ((chain.body as ChatBody).stream_options as { include_usage?: unknown } | undefined)?.include_usage === true,
      onUsage: (u) => {
        reported[chunks.targets.length - 1] = { prompt_tokens: Number(u.prompt_tokens ?? 0), completion_tokens: Number(u.completion_tokens ?? 0) };
        const usd = totalCost(spent());
        return usd === undefined || converter ? undefined : { cost_usd: usd };
      },
      onBreak: (broken) => host.runtime.breaker(broken).observe(false),
      collectText: config.content,
      resume: config.resume ? (delivered, broken) => resume(host.runtime, chain, delivered, broken) : undefined,
      trailers: () => costTrailer(totalCost(spent())),
      onEnd: (outcome, error) => {
        a.release();
        const served = spent();
        const costUsd = ledger ? ledger.settle(served) : totalCost(served);
        if (config.content) report.content({ output: chunks.text });
        const end = { served, costUsd, response: chunks.info(), firstTokenMs: a.firstTokenMs };
        if (outcome === 'complete') report.complete(end, chunks.dropped);
        else if (outcome === 'aborted') report.abandoned(end);
        else report.failed(error, end);
        if (converter && outcome === 'complete') {
          const response = (converter as { response?: unknown }).response;
          void keepResponse(client, host.responses, response).catch(() => {});
        }
      },
    },
  );
  return converter ? framed(chunks, converter, total) : chatFrames(chunks);
}

function nativeAnswer(host: RequestHost, a: StreamAnswer): ClientStream {
  const { chain, report, ledger, client } = a;
  const success = a.success as Extract<ChainSuccess, { stream: true; native: true }>;
  const target = success.target;
  const format = formats[client.format] as ClientFormat;
  const terminal = TERMINAL[client.format] ?? new Set<string>();
  let finalResponse: unknown;
  const served = (): Served[] => [
    {
      target,
      usage: stream.usage() ?? ({ prompt_tokens: promptTokens(chain.estimate, target), completion_tokens: stream.sent, estimated: true } as Usage),
    },
  ];
  const stream: NativeStream = new NativeStream(success.committed, {
    signal: chain.signal,
    attempts: chain.attempts,
    target,
    meter: format.nativeUsage(),
    watch: format.nativeWatch,
    terminal: (event) => event !== undefined && terminal.has(event),
    isError: (event, data) => format.nativeError(event, data) !== undefined,
    errorFrames: (err) => format.fromChatStream({ request: client.request, model: a.model }).error(err),
    onEvent: (event, data) => {
      // The Response a Responses client may continue from is in the terminal event.
      if (client.format === 'responses' && event !== undefined && terminal.has(event)) finalResponse = (JSON.parse(data) as { response?: unknown }).response;
    },
    onBreak: (broken) => host.runtime.breaker(broken).observe(false),
    trailers: () => costTrailer(totalCost(served())),
    onEnd: (outcome, error) => {
      a.release();
      const shares = served();
      const costUsd = ledger ? ledger.settle(shares) : totalCost(shares);
      const end = { served: shares, costUsd, firstTokenMs: a.firstTokenMs };
      if (outcome === 'complete') report.complete(end);
      else if (outcome === 'aborted') report.abandoned(end);
      else report.failed(error, end);
      if (outcome === 'complete' && finalResponse) void keepResponse(client, host.responses, finalResponse, target.provider.name).catch(() => {});
    },
  });
  return stream;
}

function costTrailer(usd: number | undefined): Record<string, string> {
  return usd === undefined ? {} : { 'x-switchyard-cost-usd': formatUsd(usd) };
}
