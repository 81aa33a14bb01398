/**
 * @module
 * The host's say over a stream, event by event, in the client's own format: the output
 * PII guardrail masks text deltas (holding back a short tail, so a value split across two
 * chunks is still masked, and releasing it before the text part ends), then `onChunk`
 * may drop an event, replace it, or end the stream with an error event in the client's
 * format. At the end the assembled text and tool calls go to `afterResponse`.
 */
import { PiiDetectedError, RequestRejectedError, type SwitchyardError } from '../errors/index.js';
import type { FormatName } from '../formats/format.js';
import type { ClientStream } from '../stream/client-stream.js';
import { maskJson, StreamMasker, type PiiKind } from './pii.js';
import type { HookEvent, OnChunkResult } from './types.js';

/** What the stream wrapper needs from its request. */
export interface StreamGuard {
  format: FormatName;
  /** Output masking: the kinds and mode, when the guardrail looks at answers. */
  pii?: { mode: 'mask' | 'block'; kinds: ReadonlySet<PiiKind> };
  /** The host's `onChunk`, run under its budget (throws `hook_failed`). */
  onChunk?(event: HookEvent): Promise<OnChunkResult>;
  /** The client's error frames for `err` in its format. */
  errorFrames(err: SwitchyardError): string[];
  /** The stream is over: its assembled text and tool calls (for `afterResponse`), and why it broke if it did. */
  onEnd?(text: string, toolCalls: { name: string; arguments: string }[], failure: SwitchyardError | undefined): void;
}

const END: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** One parsed SSE event; `raw` when it is not JSON (`[DONE]`, comments). */
interface Parsed {
  event?: string;
  data?: Record<string, unknown>;
  raw: string;
}

function parse(frame: string): Parsed {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  const text = data.join('\n');
  try {
    const json: unknown = JSON.parse(text);
    if (json !== null && typeof json === 'object' && !Array.isArray(json)) return { event, data: json as Record<string, unknown>, raw: frame };
  } catch {
    // `[DONE]`, or not ours to read: passed as it came.
  }
  return { event, raw: frame };
}

function frameOf(e: { event?: string; data: Record<string, unknown> }): string {
  return `${e.event === undefined ? '' : `event: ${e.event}\n`}data: ${JSON.stringify(e.data)}\n\n`;
}

/** Where a format's text deltas are: get and set one event's delta, by channel. */
interface TextAccess {
  /** The delta's channel and text, or undefined. */
  get(e: Parsed): { channel: string; text: string } | undefined;
  set(e: Parsed, text: string): void;
  /** The channels an event closes (their held text must go out first). */
  closes(e: Parsed): string[] | 'all';
}

const chat: TextAccess = {
  get: (e) => {
    const choice = (e.data?.choices as { index?: number; delta?: { content?: unknown } }[] | undefined)?.[0];
    return typeof choice?.delta?.content === 'string' ? { channel: String(choice.index ?? 0), text: choice.delta.content } : undefined;
  },
  set: (e, text) => {
    const choice = (e.data!.choices as { delta: Record<string, unknown> }[])[0]!;
    choice.delta.content = text;
  },
  closes: (e) => {
    const choices = (e.data?.choices as { index?: number; finish_reason?: unknown }[] | undefined) ?? [];
    if (e.data === undefined) return 'all';
    return choices.filter((c) => c.finish_reason !== null && c.finish_reason !== undefined).map((c) => String(c.index ?? 0));
  },
};

const responses: TextAccess = {
  get: (e) => (e.event === 'response.output_text.delta' && typeof e.data?.delta === 'string' ? { channel: `${e.data.output_index}:${e.data.content_index}`, text: e.data.delta } : undefined),
  set: (e, text) => {
    e.data!.delta = text;
  },
  closes: (e) => (e.event === 'response.output_text.done' ? [`${e.data?.output_index}:${e.data?.content_index}`] : e.event === 'response.completed' || e.event === 'response.failed' || e.event === 'response.incomplete' ? 'all' : []),
};

const messages: TextAccess = {
  get: (e) => {
    const delta = e.data?.delta as { type?: string; text?: unknown } | undefined;
    return e.event === 'content_block_delta' && delta?.type === 'text_delta' && typeof delta.text === 'string' ? { channel: String(e.data!.index), text: delta.text } : undefined;
  },
  set: (e, text) => {
    (e.data!.delta as { text: string }).text = text;
  },
  closes: (e) => (e.event === 'content_block_stop' ? [String(e.data?.index)] : e.event === 'message_stop' ? 'all' : []),
};

const ACCESS: Partial<Record<FormatName, TextAccess>> = { chat, responses, messages };

/** `stream` under the host's guard: masking, `onChunk`, and the end's report. */
export function guardStream(stream: ClientStream, guard: StreamGuard): ClientStream {
  const access = ACCESS[guard.format];
  const maskers = new Map<string, StreamMasker>();
  /** The last delta event of each channel, to carry held text out. */
  const lastDelta = new Map<string, Parsed>();
  const queue: string[] = [];
  let text = '';
  const calls = new Map<string, { name: string; arguments: string }>();
  let over = false;
  let reported = false;
  /** The host's or the guardrail's reason for ending the stream. */
  let stopped: SwitchyardError | undefined;
  /** Kinds of personal data the masking found so far. */
  const found = new Set<PiiKind>();

  const report = () => {
    if (reported) return;
    reported = true;
    guard.onEnd?.(text, [...calls.values()], guarded.failure);
  };

  const masker = (channel: string) => {
    let m = maskers.get(channel);
    if (!m) maskers.set(channel, (m = new StreamMasker(guard.pii!.kinds)));
    return m;
  };

  /** Held text of `channels` as delta events of their own, before the event that closes them. */
  const release = (channels: string[] | 'all'): Parsed[] => {
    const out: Parsed[] = [];
    for (const channel of channels === 'all' ? [...maskers.keys()] : channels) {
      const m = maskers.get(channel);
      const rest = m?.flush();
      m?.found.forEach((k) => found.add(k));
      const last = lastDelta.get(channel);
      if (rest && last?.data) {
        const copy: Parsed = { event: last.event, data: structuredClone(last.data), raw: '' };
        access!.set(copy, rest);
        out.push(copy);
      }
    }
    return out;
  };

  const collect = (e: Parsed) => {
    const d = e.data;
    if (!d) return;
    const delta = access?.get(e);
    if (delta) text += delta.text;
    if (guard.format === 'chat') {
      for (const tc of ((d.choices as { delta?: { tool_calls?: { index?: number; function?: { name?: string; arguments?: string } }[] } }[] | undefined)?.[0]?.delta?.tool_calls ?? [])) {
        const call = calls.get(String(tc.index ?? 0)) ?? { name: '', arguments: '' };
        call.name += tc.function?.name ?? '';
        call.arguments += tc.function?.arguments ?? '';
        calls.set(String(tc.index ?? 0), call);
      }
    } else if (guard.format === 'responses' && e.event === 'response.output_item.done') {
      const item = d.item as { type?: string; name?: string; arguments?: string; id?: string } | undefined;
      if (item?.type === 'function_call') calls.set(String(item.id ?? calls.size), { name: String(item.name ?? ''), arguments: String(item.arguments ?? '') });
    } else if (guard.format === 'messages') {
      const block = d.content_block as { type?: string; name?: string } | undefined;
      if (e.event === 'content_block_start' && block?.type === 'tool_use') calls.set(String(d.index), { name: String(block.name ?? ''), arguments: '' });
      const delta = d.delta as { type?: string; partial_json?: string } | undefined;
      if (e.event === 'content_block_delta' && delta?.type === 'input_json_delta') {
        const call = calls.get(String(d.index));
        if (call) call.arguments += delta.partial_json ?? '';
      }
    }
  };

  /** The events the client gets for one upstream event, or an error ending the stream. */
  const process = async (e: Parsed): Promise<Parsed[] | SwitchyardError> => {
    collect(e);
    let out: Parsed[] = [e];
    if (guard.pii && access && !e.data) {
      // The end (`[DONE]`): whatever is still held goes out first.
      out = [...release('all'), e];
    } else if (guard.pii && access && e.data) {
      const delta = access.get(e);
      if (delta) {
        lastDelta.set(delta.channel, e);
        const m = masker(delta.channel);
        let safe = m.push(delta.text);
        const closing = access.closes(e);
        if (closing === 'all' || closing.includes(delta.channel)) safe += m.flush();
        m.found.forEach((k) => found.add(k));
        access.set(e, safe);
        // An event that said nothing but text, all of it held back, waits with it.
        out = safe.length > 0 || delta.text.length === 0 ? [e] : [];
      } else {
        const closing = access.closes(e);
        maskJson(e.data, guard.pii.kinds, found);
        out = [...release(closing), e];
      }
      if (guard.pii.mode === 'block' && found.size > 0) return new PiiDetectedError([...found], 'answer');
    }
    if (!guard.onChunk) return out;
    const kept: Parsed[] = [];
    for (const p of out) {
      if (!p.data) {
        kept.push(p);
        continue;
      }
      const verdict = await guard.onChunk({ event: p.event, data: p.data });
      if (!verdict) kept.push(p);
      else if ('reject' in verdict) return new RequestRejectedError(verdict.reject.message, 400, verdict.reject.code);
      else if ('event' in verdict) kept.push({ event: verdict.event.event ?? p.event, data: verdict.event.data, raw: '' });
    }
    return kept;
  };

  const guarded: ClientStream = {
    [Symbol.asyncIterator]: () => guarded,
    async next() {
      for (;;) {
        if (queue.length > 0) return { done: false, value: queue.shift()! };
        if (over) {
          report();
          return END;
        }
        const next = await stream.next();
        if (next.done) {
          over = true;
          continue;
        }
        // A write is whole frames, as text or as the upstream's own bytes.
        const text = typeof next.value === 'string' ? next.value : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength).toString('utf8');
        for (const frame of text.split('\n\n')) {
          if (frame.trim() === '') continue;
          const e = parse(`${frame}\n\n`);
          let result: Parsed[] | SwitchyardError;
          try {
            result = await process(e);
          } catch (err) {
            result = err as SwitchyardError;
          }
          if (!Array.isArray(result)) {
            // The host (or the guardrail) stops the answer: its error event, then the end.
            over = true;
            stopped = result;
            queue.push(...guard.errorFrames(result));
            await stream.return();
            break;
          }
          for (const p of result) queue.push(p.data ? frameOf({ event: p.event, data: p.data }) : p.raw);
        }
      }
    },
    async return() {
      over = true;
      report();
      await stream.return();
      return END;
    },
    trailers: () => stream.trailers(),
    get failure() {
      return stopped ?? stream.failure;
    },
  };
  return guarded;
}
