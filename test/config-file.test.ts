/**
 * Configuration files: loading JSON and YAML (with the optional `yaml` package), the
 * errors a bad file gets, and watching: an edit is applied through `relay.update`, a
 * broken edit changes nothing and is reported as a `configError` control event, and an
 * edit under traffic fails no request and truncates no stream.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRelay, loadConfigFile, watchConfigFile, type ConfigFileWatcher, type Relay, type RelayConfig, type RelayEventMap } from 'switchyard';
import type { MockUpstream } from 'switchyard/testing';
import { closeServer, listen, MESSAGES, postChat, sseData, startMocks, streamedText } from './helpers/harness.js';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

type Control = RelayEventMap['control'];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-config-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A file config over the mocks; provider keys come from the environment. */
function fileConfig(mocks: Record<string, MockUpstream>, models: RelayConfig['models']): RelayConfig {
  const providers: RelayConfig['providers'] = {};
  for (const [name, mock] of Object.entries(mocks)) providers[name] = { type: 'openai', baseURL: mock.url, apiKeyEnv: 'SWITCHYARD_TEST_FILE_KEY' };
  return { providers, models, retry: { attempts: 1 } };
}

const json = (value: unknown) => JSON.stringify(value, null, 2);

/** The next `control` event with this action. */
function nextControl(relay: Relay, action: Control['action']): Promise<Control> {
  return new Promise((resolve) => {
    const off = relay.on('control', (e) => {
      if (e.action !== action) return;
      off();
      resolve(e);
    });
  });
}

interface Rig {
  dir: string;
  file: string;
  url: string;
  relay: Relay;
  mocks: Record<string, MockUpstream>;
  watcher: ConfigFileWatcher;
  config: RelayConfig;
}

/** Mocks, a config file over them, a relay loaded from it on node:http, and a watcher. */
async function rig(names: string[], models: RelayConfig['models'], fileName = 'switchyard.json'): Promise<Rig> {
  vi.stubEnv('SWITCHYARD_TEST_FILE_KEY', 'sk-from-env');
  cleanups.push(() => void vi.unstubAllEnvs());
  const mocks = await startMocks(names);
  cleanups.push(() => Promise.all(Object.values(mocks).map((m) => m.close())).then(() => {}));
  const dir = await tempDir();
  const file = join(dir, fileName);
  const config = fileConfig(mocks, models);
  await writeFile(file, json(config));
  const relay = createRelay(await loadConfigFile(file));
  cleanups.push(() => relay.close());
  const { server, origin } = await listen(relay.nodeHandler({ prefix: '/v1' }));
  cleanups.push(() => closeServer(server));
  const watcher = watchConfigFile(relay, file, { debounceMs: 20 });
  cleanups.push(() => watcher.stop());
  return { dir, file, url: `${origin}/v1`, relay, mocks, watcher, config };
}

const modelIds = async (url: string) => ((await (await fetch(`${url}/models`)).json()) as { data: { id: string }[] }).data.map((m) => m.id);

describe('loadConfigFile()', () => {
  it('reads a JSON file with apiKeyEnv references; the key comes from the environment', async () => {
    const r = await rig(['a'], { m: { targets: [{ provider: 'a', model: 'x' }] } });
    const res = await postChat(r.url, { model: 'm' });
    expect(res.status).toBe(200);
    expect(r.mocks.a!.requests[0]!.headers.authorization).toBe('Bearer sk-from-env');
  });

  it('names the file and the line of a syntax error, without quoting the file', async () => {
    const file = join(await tempDir(), 'broken.json');
    await writeFile(file, '{\n  "providers": {\n    "a": { "apiKey": "sk-live-do-not-leak", }\n  }\n}');
    const err = await loadConfigFile(file).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_SWITCHYARD_INVALID_CONFIG', path: file });
    expect((err as Error).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: invalid JSON at line 3, column \\d+`));
    expect((err as Error).message).not.toContain('sk-live');
  });

  it('refuses a file that is not an object, and createRelay names the bad field of one that is', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'list.json'), '[]');
    await expect(loadConfigFile(join(dir, 'list.json'))).rejects.toThrow('list.json: expected an object at the top level, got an array');
    await writeFile(join(dir, 'bad.json'), json({ providers: { a: { type: 'openai', baseURL: 'http://127.0.0.1:9/v1' } }, models: { m: { targets: [{ provider: 'b', model: 'x' }] } } }));
    const config = await loadConfigFile(join(dir, 'bad.json'));
    expect(() => createRelay(config)).toThrow('models.m.targets[0].provider: unknown provider "b" (configured: a)');
  });

  it('reads a YAML file', async () => {
    const file = join(await tempDir(), 'switchyard.yaml');
    await writeFile(file, 'providers:\n  a: { type: openai, baseURL: "http://127.0.0.1:9/v1", apiKeyEnv: A_KEY }\nmodels:\n  m:\n    targets: [{ provider: a, model: x }]\n');
    expect(await loadConfigFile(file)).toEqual({
      providers: { a: { type: 'openai', baseURL: 'http://127.0.0.1:9/v1', apiKeyEnv: 'A_KEY' } },
      models: { m: { targets: [{ provider: 'a', model: 'x' }] } },
    });
  });

  it('says to install `yaml` when a YAML file is given without it', async () => {
    // A child process whose loader makes `yaml` unresolvable, as on a host without it.
    const dir = await tempDir();
    await writeFile(
      join(dir, 'hooks.mjs'),
      `export async function resolve(specifier, context, next) {
  if (specifier !== 'yaml') return next(specifier, context);
  const err = new Error("Cannot find package 'yaml'");
  err.code = 'ERR_MODULE_NOT_FOUND';
  throw err;
}
`,
    );
    await writeFile(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
    const file = join(dir, 'switchyard.yml');
    await writeFile(file, 'providers: {}\n');
    const script = `import { loadConfigFile } from 'switchyard';\ntry { await loadConfigFile(${JSON.stringify(file)}); console.log('loaded'); } catch (err) { console.log(err.message); }`;
    const { stdout } = await run(process.execPath, ['--import', join(dir, 'register.mjs'), '--input-type=module', '-e', script], { cwd: root });
    expect(stdout).toContain('reading YAML needs the `yaml` package, which is not installed (npm install yaml)');
  });
});

describe('watchConfigFile()', () => {
  it('applies an edit: the new model is listed and requests route by the new configuration', async () => {
    const r = await rig(['a', 'b'], { m: { targets: [{ provider: 'a', model: 'x' }] } });
    expect((await postChat(r.url, { model: 'm' })).headers.get('x-switchyard-provider')).toBe('a');
    const applied = nextControl(r.relay, 'update');
    await writeFile(r.file, json(fileConfig(r.mocks, { m: { targets: [{ provider: 'b', model: 'y' }] }, extra: { targets: [{ provider: 'a', model: 'z' }] } })));
    expect(await applied).toMatchObject({ actor: `file:${r.file}`, detail: { modelsAdded: ['extra'] } });
    expect(await modelIds(r.url)).toEqual(['m', 'extra']);
    expect((await postChat(r.url, { model: 'm' })).headers.get('x-switchyard-provider')).toBe('b');
    expect((await postChat(r.url, { model: 'extra' })).status).toBe(200);
  });

  it('follows an editor that saves by renaming a new file over the old one', async () => {
    const r = await rig(['a'], { m: { targets: [{ provider: 'a', model: 'x' }] } });
    for (const model of ['second', 'third']) {
      const applied = nextControl(r.relay, 'update');
      const temp = join(r.dir, '.switchyard.json.swp');
      await writeFile(temp, json(fileConfig(r.mocks, { m: { targets: [{ provider: 'a', model: 'x' }] }, [model]: { targets: [{ provider: 'a', model } ] } })));
      await rename(temp, r.file);
      await applied;
      expect(await modelIds(r.url)).toEqual(['m', model]);
    }
  });

  it('ignores a broken edit, keeps the configuration in force and reports it as a configError', async () => {
    const r = await rig(['a'], { m: { targets: [{ provider: 'a', model: 'x' }] } });
    const errors: Control[] = [];
    r.relay.on('control', (e) => e.action === 'configError' && errors.push(e));
    const updates: Control[] = [];
    r.relay.on('control', (e) => e.action === 'update' && updates.push(e));
    const broken = [
      ['invalid JSON', '{ "providers": ', /^invalid JSON/],
      ['a config update refuses', json(fileConfig(r.mocks, { m: { targets: [{ provider: 'nope', model: 'x' }] } })), /^models\.m\.targets\[0\]\.provider: unknown provider "nope"/],
      ['a key pasted into apiKeyEnv', json({ ...r.config, providers: { a: { type: 'openai', baseURL: r.mocks.a!.url, apiKeyEnv: 'sk-live-pasted-by-mistake' } } }), /^providers\.a\.apiKeyEnv: expected the name of an environment variable/],
    ] as const;
    for (const [, text, message] of broken) {
      const reported = nextControl(r.relay, 'configError');
      await writeFile(r.file, text);
      const e = await reported;
      expect(e).toMatchObject({ action: 'configError', actor: `file:${r.file}`, detail: { path: r.file } });
      expect(String(e.detail!.message)).toMatch(message);
      expect(JSON.stringify(e)).not.toContain('sk-live');
      expect(await modelIds(r.url)).toEqual(['m']);
      expect((await postChat(r.url, { model: 'm' })).status).toBe(200);
    }
    expect(errors).toHaveLength(broken.length);
    expect(updates).toHaveLength(0);
    // A file removed is reported too; the configuration stays.
    const removed = nextControl(r.relay, 'configError');
    await rm(r.file);
    expect(String((await removed).detail!.message)).toContain('ENOENT');
    expect((await postChat(r.url, { model: 'm' })).status).toBe(200);
    // Fixing the file applies it.
    const applied = nextControl(r.relay, 'update');
    await writeFile(r.file, json(fileConfig(r.mocks, { m: { targets: [{ provider: 'a', model: 'x' }] }, fixed: { targets: [{ provider: 'a', model: 'y' }] } })));
    await applied;
    expect(await modelIds(r.url)).toEqual(['m', 'fixed']);
  });

  it('passes each configuration read through `transform` before update validates it', async () => {
    const r = await rig(['a'], { m: { targets: [{ provider: 'a', model: 'x' }] } });
    r.watcher.stop();
    const transform = vi.fn((config: RelayConfig) => ({ ...config, models: { ...config.models, added: { targets: [{ provider: 'a', model: 'q' }] } } }));
    const watcher = watchConfigFile(r.relay, r.file, { debounceMs: 20, transform });
    cleanups.push(() => watcher.stop());
    const applied = nextControl(r.relay, 'update');
    await writeFile(r.file, json(fileConfig(r.mocks, { m: { targets: [{ provider: 'a', model: 'x' }] }, edited: { targets: [{ provider: 'a', model: 'y' }] } })));
    await applied;
    expect(transform).toHaveBeenCalledTimes(1);
    expect(await modelIds(r.url)).toEqual(['m', 'edited', 'added']);
  });

  it('applies nothing after stop()', async () => {
    const r = await rig(['a'], { m: { targets: [{ provider: 'a', model: 'x' }] } });
    r.watcher.stop();
    // A second relay watching the same file shows when the edit has been seen.
    const witness = createRelay(await loadConfigFile(r.file));
    cleanups.push(() => witness.close());
    const witnessWatcher = watchConfigFile(witness, r.file, { debounceMs: 20 });
    cleanups.push(() => witnessWatcher.stop());
    const seen = nextControl(witness, 'update');
    const controls: Control[] = [];
    r.relay.on('control', (e) => controls.push(e));
    await writeFile(r.file, json(fileConfig(r.mocks, { m: { targets: [{ provider: 'a', model: 'x' }] }, later: { targets: [{ provider: 'a', model: 'y' }] } })));
    await seen;
    expect(witness.models().data.map((m) => m.id)).toEqual(['m', 'later']);
    expect(await modelIds(r.url)).toEqual(['m']);
    expect(controls).toEqual([]);
  });

  it('an edit mid-traffic fails no request and truncates no stream', async () => {
    const r = await rig(['a', 'b'], { m: { targets: [{ provider: 'a', model: 'x' }] } });
    r.mocks.a!.setFault({ dripMs: 20 });
    r.mocks.b!.setFault({ dripMs: 20 });
    const stream = () =>
      fetch(`${r.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', stream: true, messages: MESSAGES }),
      }).then(async (res) => ({ status: res.status, provider: res.headers.get('x-switchyard-provider'), text: await res.text() }));
    const plain = () => postChat(r.url, { model: 'm' }).then((res) => ({ status: res.status, provider: res.headers.get('x-switchyard-provider'), text: res.text }));
    const traffic = Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 ? stream() : plain())));
    await expect.poll(() => r.mocks.a!.count).toBeGreaterThan(4);
    const applied = nextControl(r.relay, 'update');
    await writeFile(r.file, json(fileConfig(r.mocks, { m: { targets: [{ provider: 'b', model: 'y' }] }, extra: { targets: [{ provider: 'a', model: 'z' }] } })));
    await applied;
    const after = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? stream() : plain())));
    const results = [...(await traffic), ...after];
    for (const res of results) {
      expect(res.status).toBe(200);
      if (res.text.startsWith('data:')) {
        expect(sseData(res.text).at(-1)).toBe('[DONE]');
        expect(streamedText(res.text)).toBe(`Hello from ${res.provider}! This is a streamed reply from a mock upstream.`);
      } else {
        expect(JSON.parse(res.text).choices[0].message.content).toBe(`Hello from ${res.provider}! This is a streamed reply from a mock upstream.`);
      }
    }
    // Requests in flight at the edit finished on provider a; new ones went to b.
    expect(results.some((res) => res.provider === 'a')).toBe(true);
    expect(after.every((res) => res.provider === 'b')).toBe(true);
  });
});
