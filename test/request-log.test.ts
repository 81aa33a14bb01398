/**
 * The request log: one typed record per finished request (as a `requestEnd` event, in
 * `GET /requests` with filters, and live over SSE), prompts only when opted in, and the
 * JSON-lines file sink rotating by size and by age on an injected clock.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonLinesFileSink, type RequestRecord } from 'switchyard';
import { afterEach, describe, expect, it } from 'vitest';
import { MESSAGES, postChat, startRelay, type Harness } from './helpers/harness.js';

let h: (Harness & { config: unknown }) | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const callers = { key: (req: { headers: Record<string, unknown> }) => req.headers['x-user'] as string | undefined };

async function start(extra: Record<string, unknown> = {}, handler = { requests: true }) {
  h = await startRelay(
    ['primary', 'backup'],
    (p) => ({
      models: {
        chat: { targets: Object.keys(p).map((name) => ({ provider: name, model: `${name}-model`, price: { input: 2, output: 8 } })) },
        solo: { targets: [{ provider: 'backup', model: 'solo-model' }] },
      },
      callers,
      ...extra,
    }),
    handler,
  );
  return h;
}

async function records(query = ''): Promise<RequestRecord[]> {
  const res = await fetch(`${h!.url}/requests${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { records: RequestRecord[] }).records;
}

describe('request records', () => {
  it('one per request: who asked, the chain, who served, each attempt, tokens, cost; no prompt', async () => {
    const s = await start();
    const ended: RequestRecord[] = [];
    s.relay.on('requestEnd', (r) => ended.push(r));
    s.mocks.primary!.setFault({ status: 503 });
    await postChat(s.url, { model: 'chat' }, { 'x-user': 'alice', 'x-request-id': 'req-1' });
    expect(ended).toHaveLength(1);
    const r = ended[0]!;
    expect(r).toMatchObject({
      requestId: 'req-1',
      caller: 'alice',
      model: 'chat',
      requested: 'chat',
      chain: ['primary/primary-model', 'backup/backup-model'],
      format: 'chat',
      stream: false,
      servedBy: 'backup/backup-model',
      position: 1,
      failovers: 1,
      status: 'ok',
      httpStatus: 200,
      attempts: [
        { target: 'primary/primary-model', outcome: 'server', status: 503 },
        { target: 'backup/backup-model', outcome: 'ok', status: 200 },
      ],
      finishReasons: ['stop'],
    });
    expect(r.tokens!.output).toBeGreaterThan(0);
    expect(r.costUsd).toBeGreaterThan(0);
    expect(typeof r.time).toBe('number');
    expect(r.messages).toBeUndefined();
    expect(JSON.stringify(r)).not.toMatch(/Say hello|sk-/);
    expect(await records()).toEqual([r]);
  });

  it('streams carry time to first token; failures and abandoned streams are records too', async () => {
    const s = await start();
    await postChat(s.url, { model: 'chat', stream: true }, { 'x-user': 'bob' });
    s.mocks.backup!.setFault({ status: 500 });
    await postChat(s.url, { model: 'solo' }, { 'x-user': 'bob' });
    s.mocks.primary!.setFault({ dripMs: 100 });
    const controller = new AbortController();
    const res = await fetch(`${s.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'carol' },
      body: JSON.stringify({ model: 'chat', messages: MESSAGES, stream: true }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await expect.poll(async () => (await records()).length).toBe(3);
    const [abandoned, failed, streamed] = await records();
    expect(streamed).toMatchObject({ caller: 'bob', stream: true, status: 'ok', servedBy: 'primary/primary-model', position: 0 });
    expect(streamed!.firstTokenMs).toBeGreaterThanOrEqual(0);
    expect(failed).toMatchObject({ model: 'solo', status: 'error', httpStatus: 502, errorCode: 'ERR_SWITCHYARD_ALL_TARGETS_FAILED', attempts: [{ target: 'backup/solo-model', outcome: 'server' }] });
    expect(abandoned).toMatchObject({ caller: 'carol', status: 'abandoned', httpStatus: 499, servedBy: 'primary/primary-model' });
    expect(abandoned!.tokens!.estimated).toBe(true);
  });

  it('filters by model, caller and status, newest first, and limits', async () => {
    const s = await start();
    await postChat(s.url, { model: 'chat' }, { 'x-user': 'alice' });
    await postChat(s.url, { model: 'solo' }, { 'x-user': 'bob' });
    s.mocks.backup!.setFault({ status: 500 });
    await postChat(s.url, { model: 'solo' }, { 'x-user': 'alice' });
    expect((await records('?caller=alice')).map((r) => r.model)).toEqual(['solo', 'chat']);
    expect((await records('?model=solo')).map((r) => r.status)).toEqual(['error', 'ok']);
    expect((await records('?status=error')).map((r) => r.caller)).toEqual(['alice']);
    expect((await records('?limit=1')).map((r) => r.model)).toEqual(['solo']);
    expect((await fetch(`${s.url}/requests?status=maybe`)).status).toBe(400);
  });

  it('keeps prompts only when opted in', async () => {
    const s = await start({ requestLog: { prompts: true } });
    await postChat(s.url, { model: 'chat', messages: [{ role: 'user', content: 'my key is sk-abcdefghijklmnopq, hi' }] });
    expect((await records())[0]!.messages).toEqual([{ role: 'user', content: 'my key is [redacted], hi' }]);
  });

  it('keeps the last `size` records', async () => {
    const s = await start({ requestLog: { size: 2 } });
    for (const model of ['chat', 'solo', 'chat']) await postChat(s.url, { model });
    expect((await records()).map((r) => r.model)).toEqual(['chat', 'solo']);
  });

  it('is off unless mounted; the dashboard turns it on', async () => {
    const s = await start({}, { requests: false } as { requests: boolean });
    expect((await fetch(`${s.url}/requests`)).status).toBe(404);
    await h!.close();
    h = undefined;
    const d = await start({}, { dashboard: true } as unknown as { requests: boolean });
    expect((await fetch(`${d.url}/requests`)).status).toBe(200);
  });
});

describe('the live feed (SSE)', () => {
  it('sends each matching record as it finishes, and lets go of the listener when the reader leaves', async () => {
    const s = await start();
    const controller = new AbortController();
    const res = await fetch(`${s.url}/requests?caller=alice`, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error('feed ended');
        text += decoder.decode(value, { stream: true });
      }
    };
    await readUntil(/request log/);
    await postChat(s.url, { model: 'solo' }, { 'x-user': 'bob' });
    await postChat(s.url, { model: 'chat' }, { 'x-user': 'alice' });
    await readUntil(/event: record\ndata: .*\n\n/);
    const events = text.split('\n\n').filter((e) => e.startsWith('event: record'));
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.split('data: ')[1]!)).toMatchObject({ caller: 'alice', model: 'chat' });
    expect(s.relay.requestLog().listeners).toBe(1);
    controller.abort();
    await expect.poll(() => s.relay.requestLog().listeners).toBe(0);
  });
});

describe('JsonLinesFileSink', () => {
  const record = (n: number): RequestRecord => ({
    time: n, requestId: `r${n}`, model: 'chat', requested: 'chat', chain: ['a/b'], format: 'chat', stream: false,
    attempts: [], failovers: 0, status: 'ok', httpStatus: 200, latencyMs: 5,
  });

  it('rotates by size and keeps the newest files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-log-'));
    let now = Date.UTC(2026, 0, 1);
    const path = join(dir, 'requests.jsonl');
    const line = `${JSON.stringify(record(0))}\n`.length;
    const sink = new JsonLinesFileSink({ path, maxBytes: line * 3, keep: 2, now: () => (now += 1_000) });
    for (let n = 0; n < 10; n++) void sink.write(record(n));
    await sink.close();
    const files = readdirSync(dir).sort();
    // 10 lines at 3 per file: 4 files written, the oldest rotated one deleted beyond keep.
    expect(files).toHaveLength(3);
    expect(files[0]).toBe('requests.jsonl');
    const lines = (f: string) => readFileSync(join(dir, f), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as RequestRecord).requestId);
    expect(lines('requests.jsonl')).toEqual(['r9']);
    expect(files.slice(1).map(lines)).toEqual([['r3', 'r4', 'r5'], ['r6', 'r7', 'r8']]);
  });

  it('rotates by age on its clock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-log-'));
    let now = Date.UTC(2026, 0, 1);
    const path = join(dir, 'requests.jsonl');
    const sink = new JsonLinesFileSink({ path, maxAgeMs: 86_400_000, now: () => now });
    await sink.write(record(1));
    now += 3_600_000;
    await sink.write(record(2));
    now += 86_400_000;
    await sink.write(record(3));
    await sink.close();
    expect(readdirSync(dir).sort()).toEqual(['requests.jsonl', 'requests.jsonl.2026-01-02T01-00-00.000Z']);
    expect(readFileSync(join(dir, 'requests.jsonl.2026-01-02T01-00-00.000Z'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('the relay writes every record to its sinks and closes them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-log-'));
    const path = join(dir, 'audit.jsonl');
    const s = await start({ requestLog: { sinks: [new JsonLinesFileSink({ path })] } });
    await postChat(s.url, { model: 'chat' }, { 'x-user': 'alice' });
    await postChat(s.url, { model: 'solo' }, { 'x-user': 'bob' });
    await h!.close();
    h = undefined;
    const written = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RequestRecord);
    expect(written.map((r) => [r.caller, r.model])).toEqual([['alice', 'chat'], ['bob', 'solo']]);
  });
});
