/**
 * @module
 * Redaction of the engine's stream (`chat.completion.chunk` payloads), one
 * {@link ChunkGuard} per stream: each payload redacted as text, escaped JSON looked at
 * decoded, and a {@link StreamGuard} over its lanes (each choice's text fields, each tool
 * call's arguments) for secrets split across events; a choice's finish reason sends what
 * its lanes held, and what is still held at the end goes out in a chunk of its own.
 */
import type { Redactor } from './redactor.js';
import type { StreamGuard } from './stream-guard.js';

/** Text fields of a delta that carry what the upstream wrote. */
const FIELDS = ['content', 'reasoning_content', 'reasoning', 'refusal'] as const;

interface ToolCallDelta {
  index?: number;
  function?: { arguments?: unknown; [k: string]: unknown };
  [k: string]: unknown;
}

interface Delta {
  tool_calls?: ToolCallDelta[];
  [k: string]: unknown;
}

interface Choice {
  index?: number;
  delta?: Delta;
  finish_reason?: unknown;
}

/** What the guard reads and writes of a chunk. */
export interface GuardedChunk {
  choices?: Choice[];
}

/** Puts held `text` of `lane` back into `delta`, ahead of nothing (the lane ends here). */
function restore(delta: Delta, lane: string, text: string): void {
  const [, kind, n] = lane.split('.') as [string, string, string | undefined];
  if (kind === 'tool') {
    const index = Number(n);
    const call = delta.tool_calls?.find((c) => (c.index ?? 0) === index);
    if (call) call.function = { ...call.function, arguments: `${typeof call.function?.arguments === 'string' ? call.function.arguments : ''}${text}` };
    else (delta.tool_calls ??= []).push({ index, function: { arguments: text } });
  } else {
    delta[kind] = `${typeof delta[kind] === 'string' ? delta[kind] : ''}${text}`;
  }
}

/** Runs `chunk`'s text through `guard` in place; true when anything changed. */
export function guardChunk(guard: StreamGuard, chunk: GuardedChunk): boolean {
  let changed = false;
  for (const choice of Array.isArray(chunk.choices) ? chunk.choices : []) {
    const i = choice?.index ?? 0;
    const delta = choice?.delta;
    if (delta && typeof delta === 'object') {
      for (const field of FIELDS) {
        const text = delta[field];
        if (typeof text !== 'string') continue;
        const out = guard.push(`${i}.${field}`, text);
        if (out !== text) {
          delta[field] = out;
          changed = true;
        }
      }
      for (const call of Array.isArray(delta.tool_calls) ? delta.tool_calls : []) {
        const args = call?.function?.arguments;
        if (typeof args !== 'string') continue;
        const out = guard.push(`${i}.tool.${call.index ?? 0}`, args);
        if (out !== args) {
          call.function!.arguments = out;
          changed = true;
        }
      }
    }
    if (choice && choice.finish_reason !== null && choice.finish_reason !== undefined) {
      for (const [lane, text] of guard.pending(`${i}.`)) {
        choice.delta ??= {};
        restore(choice.delta, lane, text);
        changed = true;
      }
    }
  }
  return changed;
}

/**
 * A chunk with what the lanes still hold when the stream ends without their finish
 * reasons, or undefined. `head` gives it the answer's id, creation time and model.
 */
export function heldChunk(guard: StreamGuard, head: Record<string, unknown> | undefined): string | undefined {
  const byChoice = new Map<number, Delta>();
  for (const [lane, text] of guard.pending('')) {
    const i = Number(lane.split('.')[0]);
    const delta = byChoice.get(i) ?? {};
    restore(delta, lane, text);
    byChoice.set(i, delta);
  }
  if (byChoice.size === 0) return undefined;
  const choices = [...byChoice].map(([index, delta]) => ({ index, delta, finish_reason: null }));
  return JSON.stringify({ ...head, object: 'chat.completion.chunk', choices });
}

/** Everything a stream needs to keep secrets out of what it sends. */
export class ChunkGuard {
  private readonly guard: StreamGuard;

  constructor(private readonly redactor: Redactor) {
    this.guard = redactor.stream();
  }

  /** A payload as it arrives, redacted as text (before anything parses it). */
  text(data: string): string {
    return this.redactor.text(data);
  }

  /** The parsed payload, in place: escapes (`\u0073k-…`) looked at decoded, split secrets held. True when it changed. */
  chunk(data: string, chunk: GuardedChunk): boolean {
    const decoded = data.includes('\\u') && this.redactor.json(chunk);
    return guardChunk(this.guard, chunk) || decoded;
  }

  /** Payloads to send before `[DONE]`: what lanes that never finished still hold (none or one). */
  end(head: Record<string, unknown> | undefined): string[] {
    const held = heldChunk(this.guard, head);
    return held === undefined ? [] : [held];
  }

  /** The message of an error that broke the stream: it may echo a secret, like any upstream message. */
  error(err: unknown): string {
    return this.redactor.message(err instanceof Error ? err.message : String(err));
  }

  /** Whether what came before could change the next payload (see `StreamGuard.armed`): then it cannot pass as bytes. */
  armed(): boolean {
    return this.guard.armed();
  }

  /** A new segment continues the stream: what the broken one held was never sent, and the continuation says it again. */
  reset(): void {
    this.guard.reset();
  }
}
