/**
 * Conversation state of the Responses format: the bounded in-memory values (count,
 * bytes, time to live on an injected clock), one conformance check of the stored
 * Responses on every store (memory, a store without value methods, Redis), and the rules
 * by which a continued conversation is handed to each kind of target.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore } from 'switchyard/redis';
import { ResponseNotFoundError } from '../src/formats/responses/errors.js';
import { loadConversation } from '../src/formats/responses/conversation.js';
import { ResponseStateStore, type StoredResponse } from '../src/formats/responses/state.js';
import { deleteStoredResponse, getStoredResponse } from '../src/formats/responses/stored.js';
import type { ResponseItem, ResponseObject, ResponsesRequest } from '../src/formats/responses/types.js';
import { UnsupportedFeature } from '../src/formats/unsupported.js';
import { BoundedValues } from '../src/store/bounded-values.js';
import { MemoryStore } from '../src/store/memory.js';
import type { Store } from '../src/store/store.js';
import { skipRedis, startRedis, type RedisServer } from './helpers/redis.js';

/** A clock the test moves by hand. */
function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('BoundedValues', () => {
  it('keeps at most maxEntries, dropping the least recently used (a read counts as use)', () => {
    const v = new BoundedValues({ maxEntries: 2, maxBytes: 1_000_000 });
    v.set('a', '1', 60_000);
    v.set('b', '2', 60_000);
    expect(v.get('a')).toBe('1'); // b is now the oldest
    v.set('c', '3', 60_000);
    expect([v.get('a'), v.get('b'), v.get('c')]).toEqual(['1', undefined, '3']);
    expect(v.size).toBe(2);
  });

  it('keeps at most maxBytes, and refuses a value larger than all of it', () => {
    // Each entry here is (1 + 9) * 2 = 20 bytes.
    const v = new BoundedValues({ maxEntries: 100, maxBytes: 50 });
    v.set('a', '123456789', 60_000);
    v.set('b', '123456789', 60_000);
    expect(v.byteSize).toBe(40);
    v.set('c', '123456789', 60_000);
    expect(v.get('a')).toBeUndefined();
    expect(v.byteSize).toBe(40);
    expect(v.set('big', 'x'.repeat(30), 60_000)).toBe(false);
    expect(v.get('big')).toBeUndefined();
    expect([v.get('b'), v.get('c')]).toEqual(['123456789', '123456789']);
  });

  it('forgets a value at its time to live; sweep frees expired values nobody reads', () => {
    const c = clock();
    const v = new BoundedValues({ maxEntries: 10, maxBytes: 1_000 }, c.now);
    v.set('short', 'x', 1_000);
    v.set('long', 'y', 5_000);
    c.advance(999);
    expect(v.get('short')).toBe('x');
    c.advance(1);
    expect(v.get('short')).toBeUndefined();
    c.advance(4_000);
    v.sweep();
    expect(v.size).toBe(0);
    expect(v.byteSize).toBe(0);
  });

  it('delete says whether a live value was there', () => {
    const c = clock();
    const v = new BoundedValues({ maxEntries: 10, maxBytes: 1_000 }, c.now);
    v.set('k', 'v', 100);
    expect(v.delete('k')).toBe(true);
    expect(v.delete('k')).toBe(false);
    v.set('k', 'v', 100);
    c.advance(100);
    expect(v.delete('k')).toBe(false);
  });

  it('MemoryStore.putValue is bounded by its options', () => {
    const store = new MemoryStore(Date.now, { maxValues: 1 });
    store.putValue('a', '1', 60_000);
    store.putValue('b', '2', 60_000);
    expect([store.getValue('a'), store.getValue('b')]).toEqual([undefined, '2']);
    store.close();
  });
});

// ---------------------------------------------------------------------------------------

let n = 0;
function response(fields: Partial<ResponseObject> & { output: ResponseItem[] }): ResponseObject {
  return { id: `resp_${++n}`, object: 'response', created_at: 1, status: 'completed', model: 'm', usage: null, error: null, incomplete_details: null, previous_response_id: null, ...fields };
}
const user = (text: string): ResponseItem => ({ type: 'message', role: 'user', content: text });
const said = (id: string, text: string): ResponseItem => ({ id, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations: [] }] });
const reasoning = (id: string): ResponseItem => ({ id, type: 'reasoning', summary: [], encrypted_content: 'gAAAA-opaque' });

function conformance(make: () => Store | undefined) {
  it('saves, reads back, indexes items, walks the chain and deletes', async () => {
    const state = new ResponseStateStore({ store: make() });
    const one = response({ output: [said('msg_a1', 'Hi.')] });
    const two = response({ output: [said('msg_a2', 'Bye.')], previous_response_id: one.id });
    expect(await state.save({ response: one, input: [user('hello')] })).toBe(true);
    expect(await state.save({ response: two, input: [user('bye')], nativeProvider: 'openai' })).toBe(true);
    expect(await state.get(two.id)).toEqual({ response: two, input: [user('bye')], nativeProvider: 'openai' });
    expect((await state.item('msg_a1'))?.item).toEqual(said('msg_a1', 'Hi.'));
    expect((await state.chain(two.id))?.map((t) => t.response.id)).toEqual([one.id, two.id]);
    expect(await state.delete(one.id)).toBe(true);
    expect(await state.delete(one.id)).toBe(false);
    // A chain with a missing turn is no chain.
    expect(await state.chain(two.id)).toBeUndefined();
    expect(await state.item('msg_a1')).toBeUndefined();
    expect(await state.get('resp_never')).toBeUndefined();
  });

  it('does not keep a record over maxRecordBytes', async () => {
    const state = new ResponseStateStore({ store: make(), maxRecordBytes: 500 });
    const big = response({ output: [said('msg_big', 'x'.repeat(600))] });
    expect(await state.save({ response: big, input: [] })).toBe(false);
    expect(await state.get(big.id)).toBeUndefined();
  });

  it('GET and DELETE answers: the Response, the deletion, and a 404 in OpenAI\'s envelope', async () => {
    const state = new ResponseStateStore({ store: make() });
    const r = response({ output: [said('msg_g', 'G.')] });
    await state.save({ response: r, input: [] });
    expect(await getStoredResponse(state, r.id)).toEqual({ status: 200, headers: {}, body: r });
    expect(await deleteStoredResponse(state, r.id)).toEqual({ status: 200, headers: {}, body: { id: r.id, object: 'response', deleted: true } });
    const missing = await getStoredResponse(state, r.id);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { message: `Response with id '${r.id}' not found.`, type: 'invalid_request_error', code: 'not_found', param: null } });
    expect((await deleteStoredResponse(state, r.id)).status).toBe(404);
  });
}

describe('stored Responses on the memory store', () => {
  conformance(() => new MemoryStore());
});

describe('stored Responses on a store without value methods (a private bounded map)', () => {
  conformance(() => ({ take: () => ({ allowed: true, remaining: 1, resetMs: 0, retryAfterMs: 0 }), give: () => {}, reserve: () => ({ ok: true, spentUsd: 0 }), settle: () => ({ ok: true, spentUsd: 0 }) }));

  it('expires records at the time to live', async () => {
    const c = clock();
    const state = new ResponseStateStore({ ttlMs: 1_000, now: c.now });
    const r = response({ output: [] });
    await state.save({ response: r, input: [] });
    c.advance(999);
    expect(await state.get(r.id)).toBeDefined();
    c.advance(1);
    expect(await state.get(r.id)).toBeUndefined();
  });
});

const skip = skipRedis();
describe.skipIf(skip)('stored Responses on Redis', () => {
  let server: RedisServer;
  const clients: Redis[] = [];
  let p = 0;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await server?.stop();
  });
  const redis = () => {
    const c = new Redis({ host: '127.0.0.1', port: server.port });
    c.on('error', () => {});
    clients.push(c);
    return c;
  };
  conformance(() => createRedisStore({ client: redis(), prefix: `rs${++p}:` }));

  it('keeps records under the prefix with the time to live', async () => {
    const c = redis();
    const state = new ResponseStateStore({ store: createRedisStore({ client: c, prefix: 'ttl:' }), ttlMs: 60_000 });
    const r = response({ output: [said('msg_ttl', 'T.')] });
    await state.save({ response: r, input: [] });
    expect((await c.keys('ttl:*')).sort()).toEqual(['ttl:responses:item:msg_ttl', `ttl:responses:resp:${r.id}`]);
    const ttl = await c.pttl(`ttl:responses:resp:${r.id}`);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});

// ---------------------------------------------------------------------------------------

describe('continuing a conversation, per target', () => {
  const request = (fields: Partial<ResponsesRequest>): ResponsesRequest => ({ model: 'm', input: 'and now?', ...fields });
  let state: ResponseStateStore;
  let native: StoredResponse;
  let translated: StoredResponse;
  beforeAll(async () => {
    state = new ResponseStateStore({ store: new MemoryStore() });
    // Turn 1 served natively by `openai` (its own ids, encrypted reasoning); turn 2 by a chat target.
    native = { response: response({ output: [reasoning('rs_o1'), said('msg_o1', 'One.')] }), input: [user('first')], nativeProvider: 'openai' };
    translated = { response: response({ output: [reasoning('rs_r2'), said('msg_r2', 'Two.')], previous_response_id: native.response.id }), input: [user('second')] };
    await state.save(native);
    await state.save(translated);
  });

  it('the provider that holds the previous id gets the request as the client sent it', async () => {
    const req = request({ previous_response_id: native.response.id });
    const c = await loadConversation(req, state);
    expect(c.nativeProvider).toBe('openai');
    expect(c.requestFor('openai')).toBe(req);
  });

  it('any other target gets the history as items: its own items whole, others\' without ids or reasoning', async () => {
    const req = request({ previous_response_id: translated.response.id, instructions: 'Be brief.' });
    const c = await loadConversation(req, state);
    expect(c.turns.map((t) => t.response.id)).toEqual([native.response.id, translated.response.id]);
    const { id: _1, ...two } = said('msg_r2', 'Two.');
    const { id: _2, ...one } = said('msg_o1', 'One.');
    expect(c.requestFor(undefined)).toEqual({ model: 'm', instructions: 'Be brief.', input: [user('first'), one, user('second'), two, user('and now?')] });
    expect(c.requestFor('azure')).toEqual(c.requestFor(undefined));
    // openai made turn 1 but not turn 2: it gets turn 1 as it made it.
    expect(c.requestFor('openai').input).toEqual([user('first'), reasoning('rs_o1'), said('msg_o1', 'One.'), user('second'), two, user('and now?')]);
    expect(c.requestFor('openai').previous_response_id).toBeUndefined();
  });

  it('an unknown previous id: a native target asks its upstream; a translated one is a 404 naming the field', async () => {
    const req = request({ previous_response_id: 'resp_elsewhere' });
    const c = await loadConversation(req, state);
    expect(c.requestFor('openai')).toBe(req);
    let err: unknown;
    try {
      c.requestFor(undefined);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ResponseNotFoundError);
    expect(err).toMatchObject({ status: 404, param: 'previous_response_id', message: "Previous response with id 'resp_elsewhere' not found." });
  });

  it('item_reference: resolved for others, left to the provider that made the item, unknown ones only for natives', async () => {
    const req = request({ input: [{ type: 'item_reference', id: 'msg_o1' }, { type: 'item_reference', id: 'msg_r2' }, user('more')] });
    const c = await loadConversation(req, state);
    const { id: _1, ...one } = said('msg_o1', 'One.');
    const { id: _2, ...two } = said('msg_r2', 'Two.');
    expect(c.requestFor(undefined).input).toEqual([one, two, user('more')]);
    expect(c.requestFor('openai').input).toEqual([{ type: 'item_reference', id: 'msg_o1' }, two, user('more')]);
    expect(c.input).toEqual([said('msg_o1', 'One.'), said('msg_r2', 'Two.'), user('more')]);

    const unknown = await loadConversation(request({ input: [user('x'), { type: 'item_reference', id: 'msg_nowhere' }] }), state);
    expect(unknown.requestFor('openai').input).toEqual([user('x'), { type: 'item_reference', id: 'msg_nowhere' }]);
    expect(() => unknown.requestFor(undefined)).toThrow(UnsupportedFeature);
  });

  it('the record of a turn chains to the client\'s previous id and holds its resolved input', async () => {
    const c = await loadConversation(request({ previous_response_id: native.response.id, input: [{ type: 'item_reference', id: 'msg_r2' }] }), state);
    // A native target given the whole history echoes no previous id of its own.
    const answer = response({ output: [said('msg_n3', 'Three.')], previous_response_id: null });
    expect(c.record(answer, 'azure')).toEqual({
      response: { ...answer, previous_response_id: native.response.id },
      input: [said('msg_r2', 'Two.')],
      nativeProvider: 'azure',
    });
    expect(c.record(answer)).not.toHaveProperty('nativeProvider');
  });
});
