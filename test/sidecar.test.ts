/**
 * The sidecar command, as operators run it: the built `dist/cli.js serve` in a child
 * process (`npm test` builds first) in front of mock upstreams, spoken to by the official
 * `openai` client. Every child is killed after its test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RelayConfig } from 'switchyard';
import { createMockUpstream, type MockUpstream } from 'switchyard/testing';
import { MESSAGES, sseData } from './helpers/harness.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/cli.js');
const CLIENT_KEY = 'client-key-for-the-sidecar';
const PROVIDER_KEY = 'sk-provider-key-from-env';
const REPLY = 'Hello from a! This is a streamed reply from a mock upstream.';

interface Child {
  proc: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the `/v1` URL once the sidecar listens. */
  ready: Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: Child[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
    await child.exit;
  }
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

beforeAll(() => {
  if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` first (`npm test` does)');
});

function run(args: string[], options: { nodeArgs?: string[]; env?: Record<string, string> } = {}): Child {
  const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), cli, ...args], {
    cwd: root,
    env: { ...process.env, SWITCHYARD_TEST_PROVIDER_KEY: PROVIDER_KEY, SWITCHYARD_TEST_CLIENT_KEY: CLIENT_KEY, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exit = once(proc, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  const ready = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const url = /listening on (http:\/\/\S+\/v1)/.exec(output)?.[1];
      if (url) resolve(url);
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    void exit.then(({ code }) => reject(new Error(`the sidecar exited (${code}) before listening:\n${output}`)));
  });
  ready.catch(() => {});
  const child = { proc, output: () => output, ready, exit };
  children.push(child);
  return child;
}

async function mock(): Promise<MockUpstream> {
  const upstream = await createMockUpstream({ name: 'a' });
  cleanups.push(() => upstream.close());
  return upstream;
}

function config(upstream: MockUpstream, models: RelayConfig['models'] = { m: { targets: [{ provider: 'a', model: 'up' }] } }): RelayConfig {
  return { providers: { a: { type: 'openai', baseURL: upstream.url, apiKeyEnv: 'SWITCHYARD_TEST_PROVIDER_KEY' } }, models, retry: { attempts: 1 } };
}

async function configFile(value: unknown, name = 'switchyard.json'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-sidecar-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, name);
  await writeFile(file, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return file;
}

const client = (url: string, apiKey = CLIENT_KEY) => new OpenAI({ baseURL: url, apiKey, maxRetries: 0 });
const auth = { authorization: `Bearer ${CLIENT_KEY}` };

async function streamText(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
}

/** Mounts a loader hook that makes the named packages unresolvable, as if not installed. */
async function withoutPackages(names: string[]): Promise<{ nodeArgs: string[]; env: Record<string, string> }> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-hooks-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await writeFile(
    join(dir, 'hooks.mjs'),
    `const blocked = new Set((process.env.SWITCHYARD_TEST_BLOCK ?? '').split(','));
export async function resolve(specifier, context, next) {
  if (!blocked.has(specifier)) return next(specifier, context);
  const err = new Error("Cannot find package '" + specifier + "'");
  err.code = 'ERR_MODULE_NOT_FOUND';
  throw err;
}
`,
  );
  await writeFile(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
  return { nodeArgs: ['--import', join(dir, 'register.mjs')], env: { SWITCHYARD_TEST_BLOCK: names.join(',') } };
}

describe('switchyard serve', () => {
  it('answers the official openai client, streaming and not, behind the client key', async () => {
    const upstream = await mock();
    const file = await configFile(config(upstream));
    const child = run(['serve', '--config', file, '--port', '0', '--client-key-env', 'SWITCHYARD_TEST_CLIENT_KEY', '--health']);
    const url = await child.ready;
    expect(child.output()).toContain('(express;');

    const openai = client(url);
    const completion = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Say hello' }] });
    expect(completion.choices[0]!.message.content).toBe(REPLY);
    const stream = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Say hello' }], stream: true });
    expect(await streamText(stream)).toBe(REPLY);
    expect((await openai.models.list()).data.map((m) => m.id)).toEqual(['m']);
    // The client's key is for the sidecar; the provider gets its own, from the environment.
    expect(upstream.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${PROVIDER_KEY}`, `Bearer ${PROVIDER_KEY}`]);

    await expect(client(url, 'wrong-key').chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({
      status: 401,
      code: 'invalid_api_key',
      type: 'invalid_request_error',
    });
    const anonymous = await fetch(`${url}/models`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
    expect(upstream.count).toBe(2);

    const health = await fetch(`${url}/health`, { headers: auth });
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', targets: [{ provider: 'a', model: 'up' }] });
    const unknown = await fetch(`${url}/nope`, { headers: auth });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('unknown_url');
  });

  it('mounts the stats, dashboard, metrics and admin routes when asked', async () => {
    const upstream = await mock();
    const file = await configFile(config(upstream));
    const url = await run(['serve', '--config', file, '--port', '0', '--stats', '--dashboard', '--metrics', '--admin']).ready;
    expect((await client(url).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })).choices[0]!.message.content).toBe(REPLY);
    expect((await fetch(`${url}/stats`)).status).toBe(200);
    expect((await fetch(`${url}/dashboard`)).headers.get('content-type')).toContain('text/html');
    await expect.poll(async () => (await fetch(`${url}/metrics`)).text()).toContain('switchyard_requests_total{model="m",outcome="ok",stream="false"} 1');
    expect(await (await fetch(`${url}/admin/targets`)).json()).toMatchObject({ targets: [{ provider: 'a', model: 'up' }] });
    // Without --health the route is not there.
    expect((await fetch(`${url}/health`)).status).toBe(404);
  });

  it('honours x-switchyard-debug only with --debug', async () => {
    const upstream = await mock();
    upstream.setFault({ status: 503, body: { error: { message: 'shard 7 is down', type: 'server_error' } } });
    const file = await configFile(config(upstream));
    const ask = (url: string) => fetch(`${url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-switchyard-debug': '1' }, body: JSON.stringify({ model: 'm', messages: MESSAGES }) });
    const plain = await ask(await run(['serve', '--config', file, '--port', '0']).ready);
    expect(plain.status).toBe(502);
    expect(plain.headers.get('x-switchyard-attempt-details')).toBeNull();
    expect(await plain.text()).not.toContain('shard 7');
    const debug = await ask(await run(['serve', '--config', file, '--port', '0', '--debug']).ready);
    expect(debug.status).toBe(502);
    expect(JSON.parse(debug.headers.get('x-switchyard-attempt-details')!)[0]).toMatchObject({ provider: 'a', message: 'shard 7 is down' });
  });

  it('applies edits of the configuration file with --watch and keeps the old one on a broken edit', async () => {
    const upstream = await mock();
    const file = await configFile(config(upstream));
    const child = run(['serve', '--config', file, '--port', '0', '--watch']);
    const openai = client(await child.ready);
    const ids = async () => (await openai.models.list()).data.map((m) => m.id);
    await writeFile(file, JSON.stringify(config(upstream, { m: { targets: [{ provider: 'a', model: 'up' }] }, added: { targets: [{ provider: 'a', model: 'other' }] } })));
    await expect.poll(ids).toEqual(['m', 'added']);
    await writeFile(file, '{ "providers": ');
    await expect.poll(() => child.output()).toContain('config NOT applied, the previous one stays: invalid JSON');
    expect(await ids()).toEqual(['m', 'added']);
    expect((await openai.chat.completions.create({ model: 'added', messages: [{ role: 'user', content: 'hi' }] })).model).toBe('other');
  });

  it('on SIGTERM lets a stream in flight finish, then exits 0', async () => {
    const upstream = await mock();
    upstream.setFault({ dripMs: 40 });
    const file = await configFile(config(upstream));
    const child = run(['serve', '--config', file, '--port', '0', '--drain-ms', '15000']);
    const stream = await client(await child.ready).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Say hello' }], stream: true });
    const chunks = stream[Symbol.asyncIterator]();
    let text = '';
    while (!text) text += (await chunks.next()).value?.choices[0]?.delta?.content ?? '';
    child.proc.kill('SIGTERM');
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) text += next.value.choices[0]?.delta?.content ?? '';
    expect(text).toBe(REPLY);
    expect(await child.exit).toEqual({ code: 0, signal: null });
    expect(child.output()).toContain('SIGTERM: draining requests in flight for up to 15000 ms');
  });

  it('cuts a stream that outlives --drain-ms cleanly with an error event, then exits 0', async () => {
    const upstream = await mock();
    const chunk = (content: string) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'up', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
    // The stream starts, then the upstream goes quiet for longer than the drain.
    upstream.setFault({ raw: chunk('Hello') + chunk(' world') + 'data: [DONE]\n\n', dripMs: 60_000 });
    const file = await configFile(config(upstream));
    const child = run(['serve', '--config', file, '--port', '0', '--drain-ms', '200']);
    const res = await fetch(`${await child.ready}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream: true, messages: MESSAGES }),
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('Hello')) text += decoder.decode((await reader.read()).value, { stream: true });
    child.proc.kill('SIGTERM');
    for (let next = await reader.read(); !next.done; next = await reader.read()) text += decoder.decode(next.value, { stream: true });
    const events = sseData(text);
    expect(JSON.parse(events[0]!).choices[0].delta.content).toBe('Hello');
    expect(JSON.parse(events.at(-1)!).error.code).toBe('stream_interrupted');
    expect(await child.exit).toEqual({ code: 0, signal: null });
  });

  it('serves the same routes on node:http when express is not installed, and says so', async () => {
    const upstream = await mock();
    const file = await configFile(config(upstream));
    const child = run(['serve', '--config', file, '--port', '0', '--client-key-env', 'SWITCHYARD_TEST_CLIENT_KEY', '--health'], await withoutPackages(['express']));
    const url = await child.ready;
    expect(child.output()).toContain('express is not installed: serving with node:http (same routes)');
    const openai = client(url);
    expect((await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })).choices[0]!.message.content).toBe(REPLY);
    expect(await streamText(await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true }))).toBe(REPLY);
    await expect(client(url, 'wrong-key').models.list()).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
    expect((await fetch(`${url}/health`, { headers: auth })).status).toBe(200);
  });

  it('refuses to start, naming the problem, on a bad file, a missing client key or --metrics without prom-client', async () => {
    const upstream = await mock();
    const bad = await configFile({ ...config(upstream), models: { m: { targets: [{ provider: 'nope', model: 'x' }] } } });
    const good = await configFile(config(upstream));
    const cases = [
      [run(['serve', '--config', bad, '--port', '0']), 1, `${bad}: models.m.targets[0].provider: unknown provider "nope" (configured: a)`],
      [run(['serve', '--config', good, '--port', '0', '--client-key-env', 'SWITCHYARD_TEST_UNSET']), 2, 'environment variable SWITCHYARD_TEST_UNSET is not set'],
      [run(['serve', '--config', good, '--port', '0', '--metrics'], await withoutPackages(['prom-client'])), 1, '--metrics needs the prom-client package'],
      [run(['serve', '--port', '0']), 2, '--config <file> is required'],
    ] as const;
    for (const [child, code, message] of cases) {
      expect(await child.exit).toEqual({ code, signal: null });
      expect(child.output()).toContain(message);
    }
    expect(upstream.count).toBe(0);
  });

  it('prints its usage with --help', async () => {
    const child = run(['--help']);
    expect(await child.exit).toEqual({ code: 0, signal: null });
    expect(child.output()).toContain('Usage: switchyard serve --config <file> [options]');
  });
});
