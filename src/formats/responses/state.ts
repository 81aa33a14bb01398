/**
 * @module
 * Conversation state of the Responses API, kept by the relay so that
 * `previous_response_id` continues a conversation whichever provider serves the next
 * turn. One record per response: that turn's input items and the Response as returned
 * (its output items, usage, ...), linked to the turn before by `previous_response_id`.
 * Storing each turn once, rather than the whole history with every turn, keeps a long
 * conversation linear in size; the history is read back by walking the links.
 *
 * Records live in the relay's `Store` through its value methods (`putValue`, ...): the
 * memory store by default, bounded by count, bytes and time to live, or Redis, shared by
 * every instance. A store without them gets a private bounded memory map.
 */
import { DEFAULTS } from '../../options.js';
import { BoundedValues } from '../../store/bounded-values.js';
import type { Store } from '../../store/store.js';
import type { ResponseItem, ResponseObject } from './types.js';

/** One stored turn. */
export interface StoredResponse {
  /** The Response as the client received it (`output`, `usage`, `previous_response_id`, ...). */
  response: ResponseObject;
  /** This turn's input items, references resolved; not the history before it. */
  input: ResponseItem[];
  /**
   * The provider whose own id `response.id` is, when a native target served the turn: the
   * next turn may then go to that provider with `previous_response_id` as it is.
   */
  nativeProvider?: string;
}

/** Options of {@link ResponseStateStore}. */
export interface ResponseStateOptions {
  /**
   * Where records live: any store with `putValue`/`getValue`/`deleteValue` (the memory
   * store, the Redis store). Without one, or with a store lacking them, a private memory
   * map bounded like the memory store's values.
   */
  store?: Store;
  /**
   * How long a record is kept after it is written, in ms.
   * @default 86400000 (1 day)
   */
  ttlMs?: number;
  /**
   * Largest record kept, in bytes of JSON; a larger turn is answered but not stored.
   * @default 8388608 (8 MiB)
   */
  maxRecordBytes?: number;
  /**
   * Clock in ms for the private memory map.
   * @default Date.now
   */
  now?: () => number;
}

/** The value methods of a store, all present. */
type Values = Required<Pick<Store, 'putValue' | 'getValue' | 'deleteValue'>>;

const RECORD = 'responses:resp:';
const ITEM = 'responses:item:';

/**
 * Stored Responses.
 *
 * @example
 * ```ts
 * const state = new ResponseStateStore({ store: relayStore });
 * await state.save({ response, input });
 * const history = await state.history(response.id);
 * ```
 */
export class ResponseStateStore {
  private readonly values: Values;
  /** The store it keeps values in, when it was given one. */
  readonly store: ResponseStateOptions['store'];
  private readonly ttlMs: number;
  private readonly maxRecordBytes: number;

  constructor(options: ResponseStateOptions = {}) {
    const store = options.store;
    this.store = store;
    if (store?.putValue && store.getValue && store.deleteValue) {
      this.values = store as Values;
    } else {
      const map = new BoundedValues({ maxEntries: DEFAULTS.store.maxValues, maxBytes: DEFAULTS.store.maxValueBytes }, options.now);
      this.values = { putValue: (k, v, ttl) => void map.set(k, v, ttl), getValue: (k) => map.get(k), deleteValue: (k) => map.delete(k) };
    }
    this.ttlMs = options.ttlMs ?? DEFAULTS.responses.ttlMs;
    this.maxRecordBytes = options.maxRecordBytes ?? DEFAULTS.responses.maxRecordBytes;
  }

  /**
   * Keeps a turn, and indexes its items by id for `item_reference`. Resolves false when
   * the record is over `maxRecordBytes` and was not kept.
   */
  async save(record: StoredResponse): Promise<boolean> {
    const json = JSON.stringify(record);
    if (Buffer.byteLength(json) > this.maxRecordBytes) return false;
    const id = record.response.id;
    await this.values.putValue(RECORD + id, json, this.ttlMs);
    const ids = [...record.input, ...record.response.output].map((item) => item.id).filter((x): x is string => typeof x === 'string' && x !== '');
    await Promise.all(ids.map((itemId) => this.values.putValue(ITEM + itemId, id, this.ttlMs)));
    return true;
  }

  /** A stored turn, or undefined. */
  async get(id: string): Promise<StoredResponse | undefined> {
    const json = await this.values.getValue(RECORD + id);
    if (json === undefined) return undefined;
    try {
      return JSON.parse(json) as StoredResponse;
    } catch {
      return undefined;
    }
  }

  /** Forgets a turn; resolves whether it was there. Turns that continue it lose their history. */
  async delete(id: string): Promise<boolean> {
    return this.values.deleteValue(RECORD + id);
  }

  /** A stored item by its id, with the turn that holds it, or undefined. */
  async item(itemId: string): Promise<{ item: ResponseItem; turn: StoredResponse } | undefined> {
    const id = await this.values.getValue(ITEM + itemId);
    const turn = id === undefined ? undefined : await this.get(id);
    const item = turn && [...turn.input, ...turn.response.output].find((i) => i.id === itemId);
    return item && turn ? { item, turn } : undefined;
  }

  /**
   * The turns up to and including `id`, oldest first, or undefined when `id` or a turn
   * before it is missing (expired, evicted or deleted).
   */
  async chain(id: string): Promise<StoredResponse[] | undefined> {
    const turns: StoredResponse[] = [];
    const seen = new Set<string>();
    for (let next: string | null | undefined = id; typeof next === 'string'; ) {
      // Ids come from upstreams too: a loop must not spin forever.
      if (seen.has(next)) break;
      seen.add(next);
      const turn = await this.get(next);
      if (!turn) return undefined;
      turns.push(turn);
      next = turn.response.previous_response_id as string | null | undefined;
    }
    return turns.reverse();
  }
}
