/**
 * @module
 * The engine's chat chunks as an Anthropic event stream: `message_start` and a `ping` on
 * the first content, then one content block at a time (`content_block_start`, its
 * `text_delta`/`thinking_delta`/`input_json_delta` deltas, `content_block_stop`), and at
 * the end `message_delta` with the stop reason and usage, then `message_stop`.
 *
 * Chat streams report usage only at the end, so `message_start` says 0 input tokens and
 * `message_delta` gives the real counts (input included), which Anthropic's SDK and the
 * AI SDK both take from it. Reasoning becomes thinking blocks only when the client asked
 * for thinking. Anthropic blocks cannot interleave: a fragment for a tool call whose
 * block already closed (no known chat provider sends one) cannot be shown and is dropped.
 */
import { isSwitchyardError } from '../../errors/index.js';
import type { Usage } from '../../providers/provider.js';
import { ChunkReader, finalUsage, newId, type ChatPart, type ChatUsage } from '../chat-output.js';
import type { AnswerContext, StreamConverter } from '../format.js';
import { eventFrame } from '../sse.js';
import { messageUsage, stopReason, wantsThinking } from './answer.js';
import { anthropicError, anthropicErrorType, anthropicStatus } from './errors.js';
import type { MessagesRequest } from './types.js';

type BlockKind = 'text' | 'thinking' | 'tool';

/** The converter for one streamed answer. */
export function messagesStream(ctx: AnswerContext<MessagesRequest>): StreamConverter {
  return new MessagesStream(ctx);
}

class MessagesStream implements StreamConverter {
  private readonly reader = new ChunkReader();
  private readonly thinking: boolean;
  private started = false;
  private closed = false;
  private blocks = 0;
  /** The open block: its kind and, for a tool, which chat call it is. */
  private open: { index: number; kind: BlockKind; call?: number } | undefined;
  private finish: string | undefined;
  private usage: ChatUsage | undefined;

  constructor(private readonly ctx: AnswerContext<MessagesRequest>) {
    this.thinking = wantsThinking(ctx.request);
  }

  push(payload: string): string[] {
    if (this.closed) return [];
    const out: string[] = [];
    for (const part of this.reader.read(payload)) this.apply(part, out);
    return out;
  }

  end(usage?: Usage): string[] {
    if (this.closed) return [];
    const out: string[] = [];
    this.start(out, '');
    this.close(out);
    this.closed = true;
    const { input_tokens, cache_creation_input_tokens, cache_read_input_tokens, output_tokens } = messageUsage(finalUsage(usage, this.usage));
    out.push(
      eventFrame('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: stopReason(this.finish), stop_sequence: null },
        usage: { input_tokens, cache_creation_input_tokens, cache_read_input_tokens, output_tokens },
      }),
    );
    out.push(eventFrame('message_stop', { type: 'message_stop' }));
    return out;
  }

  error(err: unknown): string[] {
    if (this.closed) return [];
    this.closed = true;
    const status = isSwitchyardError(err) ? err.status : 500;
    const message = isSwitchyardError(err) ? err.message : 'Internal relay error.';
    return [eventFrame('error', anthropicError(anthropicErrorType(anthropicStatus(status)), message))];
  }

  private start(out: string[], model: string): void {
    if (this.started) return;
    this.started = true;
    const message = {
      id: this.ctx.id ?? newId('msg'),
      type: 'message',
      role: 'assistant',
      model: model || this.ctx.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 },
    };
    out.push(eventFrame('message_start', { type: 'message_start', message }));
    out.push(eventFrame('ping', { type: 'ping' }));
  }

  private apply(part: ChatPart, out: string[]): void {
    if (part.kind === 'usage') {
      this.usage = part.usage;
      return;
    }
    if (part.kind === 'finish') {
      this.finish = part.reason;
      return;
    }
    if (part.kind === 'reasoning' && !this.thinking) return;
    this.start(out, part.kind === 'meta' ? part.model : '');
    switch (part.kind) {
      case 'text':
      case 'refusal':
        if (this.open?.kind !== 'text') this.begin(out, 'text', { type: 'text', text: '' });
        this.delta(out, { type: 'text_delta', text: part.text });
        break;
      case 'reasoning':
        if (this.open?.kind !== 'thinking') this.begin(out, 'thinking', { type: 'thinking', thinking: '', signature: '' });
        this.delta(out, { type: 'thinking_delta', thinking: part.text });
        break;
      case 'tool_start':
        this.begin(out, 'tool', { type: 'tool_use', id: part.id, name: part.name, input: {} }, part.call);
        break;
      case 'tool_args':
        if (this.open?.kind === 'tool' && this.open.call === part.call) this.delta(out, { type: 'input_json_delta', partial_json: part.args });
        break;
      default:
        break;
    }
  }

  private begin(out: string[], kind: BlockKind, block: Record<string, unknown>, call?: number): void {
    this.close(out);
    this.open = { index: this.blocks++, kind, call };
    out.push(eventFrame('content_block_start', { type: 'content_block_start', index: this.open.index, content_block: block }));
  }

  private delta(out: string[], delta: Record<string, unknown>): void {
    out.push(eventFrame('content_block_delta', { type: 'content_block_delta', index: this.open!.index, delta }));
  }

  private close(out: string[]): void {
    if (!this.open) return;
    out.push(eventFrame('content_block_stop', { type: 'content_block_stop', index: this.open.index }));
    this.open = undefined;
  }
}
