/**
 * @module
 * Continuing a conversation: a request with `previous_response_id` or `item_reference`
 * items becomes, for each target, a request that target can serve.
 *
 * - A translated target, or a native one that does not hold the ids, gets the whole
 *   history as input items and no `previous_response_id`. Items from turns another
 *   provider served lose their `id` and their reasoning (ids and encrypted reasoning mean
 *   something only to the provider that made them).
 * - The native provider that served the previous turn under its own id gets the request
 *   as the client sent it: its own stored state is richer than the relay's copy.
 *
 * A referenced id the relay does not hold stays as it is for native targets (their
 * upstream may hold it); a translated target cannot serve it.
 */
import { UnsupportedFeature } from '../unsupported.js';
import { ResponseNotFoundError } from './errors.js';
import type { ResponseStateStore, StoredResponse } from './state.js';
import type { ResponseItem, ResponseObject, ResponsesRequest } from './types.js';

/** A request with its stored history loaded. */
export interface Conversation {
  /** The turns before this request, oldest first (empty without `previous_response_id`). */
  readonly turns: StoredResponse[];
  /** The provider that holds `previous_response_id` as its own id, if any. */
  readonly nativeProvider: string | undefined;
  /** This turn's input as items, with the references the relay could resolve replaced. */
  readonly input: ResponseItem[];
  /**
   * The request for a target of `provider` (`undefined`: a translated target). Throws
   * {@link ResponseNotFoundError} (404) when the previous response is unknown and the
   * target cannot look it up itself, {@link UnsupportedFeature} for an `item_reference`
   * a translated target cannot resolve.
   */
  requestFor(provider: string | undefined): ResponsesRequest;
  /** The record to store for this turn's `response` (`nativeProvider`: a native target served it under its own id). */
  record(response: ResponseObject, nativeProvider?: string): StoredResponse;
}

/** `input` as items: a string is one user message. */
export function inputItems(input: ResponsesRequest['input']): ResponseItem[] {
  return typeof input === 'string' ? [{ type: 'message', role: 'user', content: input }] : input;
}

/** An item as another provider may receive it: no id, and nothing for reasoning. */
function portable(item: ResponseItem): ResponseItem | undefined {
  if (item.type === 'reasoning') return undefined;
  const { id: _id, ...rest } = item;
  return rest as ResponseItem;
}

/** Items of `turn` for a target of `provider`. */
function itemsFor(turn: StoredResponse, provider: string | undefined, items: ResponseItem[]): ResponseItem[] {
  if (provider !== undefined && turn.nativeProvider === provider) return items;
  return items.map(portable).filter((x): x is ResponseItem => x !== undefined);
}

/**
 * Loads what `request` refers to from `state`. Never throws for a missing id: whether
 * that is an error depends on the target (see {@link Conversation.requestFor}).
 */
export async function loadConversation(request: ResponsesRequest, state: ResponseStateStore): Promise<Conversation> {
  const previous = typeof request.previous_response_id === 'string' ? request.previous_response_id : undefined;
  const turns = (previous !== undefined ? await state.chain(previous) : []) ?? [];
  const missingPrevious = previous !== undefined && turns.length === 0;
  const last = turns[turns.length - 1];
  const nativeProvider = last?.nativeProvider;

  // References resolved once; each keeps the turn it came from, for the per-target rules.
  const resolved = new Map<string, { item: ResponseItem; turn: StoredResponse }>();
  const given = inputItems(request.input);
  await Promise.all(
    given.map(async (item) => {
      if (item.type !== 'item_reference' || typeof item.id !== 'string') return;
      const found = await state.item(item.id);
      if (found) resolved.set(item.id, found);
    }),
  );

  const inputFor = (provider: string | undefined): ResponseItem[] =>
    given.flatMap((item, i) => {
      if (item.type !== 'item_reference') return [item];
      const found = resolved.get(String(item.id));
      // The provider that made the item resolves its own reference, and knows it better.
      if (found && !(provider !== undefined && found.turn.nativeProvider === provider)) return itemsFor(found.turn, provider, [found.item]);
      if (found || provider !== undefined) return [item];
      throw new UnsupportedFeature(`input[${i}]`, `Item with id '${String(item.id)}' is not held by the relay; only the provider that made it can resolve it.`);
    });

  const input = given.flatMap((item) => (item.type === 'item_reference' && resolved.has(String(item.id)) ? [resolved.get(String(item.id))!.item] : [item]));
  return {
    turns,
    nativeProvider,
    input,
    requestFor(provider) {
      // Nothing to resolve: the request as it came, so a native target gets it untouched.
      const asGiven = () => (given.some((item) => item.type === 'item_reference') ? { ...request, input: inputFor(provider) } : request);
      if (previous === undefined) return asGiven();
      // Its own id (or one the relay never saw): the upstream resolves it.
      if (provider !== undefined && (provider === nativeProvider || missingPrevious)) return asGiven();
      if (missingPrevious) throw new ResponseNotFoundError(previous, 'previous_response_id', 'Previous response');
      const history = turns.flatMap((turn) => itemsFor(turn, provider, [...turn.input, ...turn.response.output]));
      const { previous_response_id: _previous, ...rest } = request;
      return { ...rest, input: [...history, ...inputFor(provider)] } as ResponsesRequest;
    },
    record(response, native) {
      // A native target given the expanded history echoes no previous id; the chain is the client's.
      const stored: ResponseObject = { ...response, previous_response_id: previous ?? null };
      return native === undefined ? { response: stored, input } : { response: stored, input, nativeProvider: native };
    },
  };
}
