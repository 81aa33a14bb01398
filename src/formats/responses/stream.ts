/**
 * @module
 * The engine's chat chunks as a Responses event stream: `response.created` and
 * `response.in_progress` on the first content, then one output item per kind of content
 * (a `reasoning` item with a summary part for `reasoning_content`, a `message` item with
 * an `output_text` or `refusal` part, a `function_call` item per tool call), each with
 * its added/delta/done events, and `response.completed` (or `response.incomplete` when
 * the answer was cut by length or a filter) with usage. Every event carries the next
 * `sequence_number` from 0. A message or reasoning item closes when another kind of
 * content starts; function calls stay open until the end, because chat streams may
 * interleave their argument fragments.
 */
import { isSwitchyardError } from '../../errors/index.js';
import type { Usage } from '../../providers/provider.js';
import { ChunkReader, finalUsage, newId, type ChatPart, type ChatUsage } from '../chat-output.js';
import type { AnswerContext, StreamConverter } from '../format.js';
import { eventFrame } from '../sse.js';
import { finish, incompleteReason, responseSkeleton, textPart } from './answer.js';
import type { ResponseItem, ResponseObject, ResponsesRequest } from './types.js';

type Json = Record<string, unknown>;

/** The open message or reasoning item, with the text of its open part. */
interface OpenItem {
  index: number;
  item: ResponseItem;
  kind: 'message' | 'reasoning';
  /**
   * The open part of a message (`output_text` or `refusal`) or the summary of a reasoning
   * item; `live` is the part object inside the item, kept current so that a Response
   * reported mid-way (`response.failed`) holds the text sent so far.
   */
  part?: { type: 'output_text' | 'refusal' | 'summary_text'; index: number; text: string; live: Json };
}

interface OpenCall {
  index: number;
  item: ResponseItem & { arguments: string };
}

/** A Responses stream converter; `response` is the Response as sent so far (final after `end`). */
export interface ResponsesStreamConverter extends StreamConverter {
  readonly response: ResponseObject | undefined;
}

/** The converter for one streamed answer. */
export function responsesStream(ctx: AnswerContext<ResponsesRequest>): ResponsesStreamConverter {
  return new ResponsesStream(ctx);
}

class ResponsesStream implements ResponsesStreamConverter {
  response: ResponseObject | undefined;
  private readonly reader = new ChunkReader();
  private readonly now: () => number;
  private seq = 0;
  private open: OpenItem | undefined;
  private readonly calls = new Map<number, OpenCall>();
  private finishReason: string | undefined;
  private usage: ChatUsage | undefined;
  private closed = false;

  constructor(private readonly ctx: AnswerContext<ResponsesRequest>) {
    this.now = ctx.now ?? Date.now;
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
    // A message cut by length or a filter is itself incomplete, as at OpenAI.
    this.closeOpen(out, incompleteReason(this.finishReason) ? 'incomplete' : 'completed');
    for (const call of this.calls.values()) this.closeCall(call, out);
    this.closed = true;
    const response = this.response!;
    finish(response, this.finishReason, finalUsage(usage, this.usage), this.now);
    this.emit(out, response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response });
    return out;
  }

  error(err: unknown): string[] {
    if (this.closed) return [];
    const out: string[] = [];
    this.start(out, '');
    this.closed = true;
    // A relay error says what happened; anything else is ours and says nothing about internals.
    const code = isSwitchyardError(err) ? err.openaiCode : 'internal_error';
    const message = isSwitchyardError(err) ? err.message : 'Internal relay error.';
    const type = isSwitchyardError(err) ? err.type : 'server_error';
    this.emit(out, 'error', { error: { type, code, message, param: null } });
    const response = this.response!;
    for (const item of response.output) if (item.status === 'in_progress') item.status = 'incomplete';
    response.status = 'failed';
    response.error = { code, message };
    this.emit(out, 'response.failed', { response });
    return out;
  }

  private emit(out: string[], type: string, fields: Json): void {
    out.push(eventFrame(type, { type, sequence_number: this.seq++, ...fields }));
  }

  /** `response.created` and `response.in_progress`, once. */
  private start(out: string[], model: string): void {
    if (this.response) return;
    this.response = responseSkeleton(this.ctx, this.ctx.id ?? newId('resp'), model);
    // Frames are serialised as they are emitted, so each event shows the Response as it was then.
    this.emit(out, 'response.created', { response: this.response });
    this.emit(out, 'response.in_progress', { response: this.response });
  }

  private apply(part: ChatPart, out: string[]): void {
    if (part.kind === 'usage') {
      this.usage = part.usage;
      return;
    }
    this.start(out, part.kind === 'meta' ? part.model : '');
    switch (part.kind) {
      case 'text':
        this.delta(out, 'message', 'output_text', part.text);
        break;
      case 'refusal':
        this.delta(out, 'message', 'refusal', part.text);
        break;
      case 'reasoning':
        this.delta(out, 'reasoning', 'summary_text', part.text);
        break;
      case 'tool_start':
        this.startCall(part.call, part.id, part.name, out);
        break;
      case 'tool_args': {
        const call = this.calls.get(part.call)!;
        call.item.arguments += part.args;
        this.emit(out, 'response.function_call_arguments.delta', { item_id: call.item.id, output_index: call.index, delta: part.args });
        break;
      }
      case 'finish':
        this.finishReason = part.reason;
        break;
      default:
        break;
    }
  }

  private addItem(out: string[], item: ResponseItem): number {
    const index = this.response!.output.length;
    this.response!.output.push(item);
    this.emit(out, 'response.output_item.added', { output_index: index, item });
    return index;
  }

  /** Text into the open item of `kind`, opening it (and its part) first if needed. */
  private delta(out: string[], kind: OpenItem['kind'], partType: NonNullable<OpenItem['part']>['type'], text: string): void {
    if (this.open?.kind !== kind) {
      this.closeOpen(out);
      const item: ResponseItem =
        kind === 'message'
          ? { id: newId('msg'), type: 'message', status: 'in_progress', content: [], role: 'assistant' }
          : { id: newId('rs'), type: 'reasoning', summary: [] };
      this.open = { index: this.addItem(out, item), item, kind };
    }
    const open = this.open;
    const at = { item_id: open.item.id, output_index: open.index };
    if (open.part?.type !== partType) {
      this.closePart(out);
      const parts = (kind === 'message' ? open.item.content : open.item.summary) as Json[];
      const live: Json = partType === 'refusal' ? { type: 'refusal', refusal: '' } : partType === 'output_text' ? textPart('') : { type: 'summary_text', text: '' };
      open.part = { type: partType, index: parts.length, text: '', live };
      parts.push(live);
      if (kind === 'message') this.emit(out, 'response.content_part.added', { ...at, content_index: open.part.index, part: live });
      else this.emit(out, 'response.reasoning_summary_part.added', { ...at, summary_index: open.part.index, part: live });
    }
    const part = open.part!;
    part.text += text;
    part.live[partType === 'refusal' ? 'refusal' : 'text'] = part.text;
    if (partType === 'output_text') this.emit(out, 'response.output_text.delta', { ...at, content_index: part.index, delta: text, logprobs: [] });
    else if (partType === 'refusal') this.emit(out, 'response.refusal.delta', { ...at, content_index: part.index, delta: text });
    else this.emit(out, 'response.reasoning_summary_text.delta', { ...at, summary_index: part.index, delta: text });
  }

  private closePart(out: string[]): void {
    const open = this.open;
    const part = open?.part;
    if (!open || !part) return;
    open.part = undefined;
    const at = { item_id: open.item.id, output_index: open.index };
    const done = part.live;
    if (part.type === 'summary_text') {
      this.emit(out, 'response.reasoning_summary_text.done', { ...at, summary_index: part.index, text: part.text });
      this.emit(out, 'response.reasoning_summary_part.done', { ...at, summary_index: part.index, part: done });
      return;
    }
    if (part.type === 'refusal') this.emit(out, 'response.refusal.done', { ...at, content_index: part.index, refusal: part.text });
    else this.emit(out, 'response.output_text.done', { ...at, content_index: part.index, text: part.text, logprobs: [] });
    this.emit(out, 'response.content_part.done', { ...at, content_index: part.index, part: done });
  }

  private closeOpen(out: string[], status: 'completed' | 'incomplete' = 'completed'): void {
    const open = this.open;
    if (!open) return;
    this.closePart(out);
    this.open = undefined;
    if (open.kind === 'message') open.item.status = status;
    this.emit(out, 'response.output_item.done', { output_index: open.index, item: open.item });
  }

  private startCall(call: number, callId: string, name: string, out: string[]): void {
    this.closeOpen(out);
    const item = { id: newId('fc'), type: 'function_call', status: 'in_progress', arguments: '', call_id: callId, name };
    this.calls.set(call, { index: this.addItem(out, item), item });
  }

  private closeCall(call: OpenCall, out: string[]): void {
    const { item, index } = call;
    item.status = 'completed';
    this.emit(out, 'response.function_call_arguments.done', { item_id: item.id, output_index: index, name: item.name, arguments: item.arguments });
    this.emit(out, 'response.output_item.done', { output_index: index, item });
  }
}
