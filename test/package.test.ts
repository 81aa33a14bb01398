/**
 * The built package, imported the way users import it: from ESM and from CommonJS,
 * through the `exports` map (`npm test` builds first). Each child process starts a mock,
 * relays one request through it, and closes everything.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

const body = (load: string) => `
${load}
const mock = await createMockUpstream({ name: 'pkg' });
const relay = createRelay({
  providers: { p: { type: 'openai', baseURL: mock.url, apiKey: 'sk-x' } },
  models: { m: { targets: [{ provider: 'p', model: 'up' }] } },
});
if (typeof expressRelay(relay) !== 'function') throw new Error('expressRelay is not middleware');
const out = await relay.chat({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
let code;
try { createRelay({ providers: {}, models: {} }); } catch (e) { code = isSwitchyardError(e) && e.code; }
await relay.close();
await mock.close();
console.log(JSON.stringify({ content: out.choices[0].message.content, code }));
`;

describe('built package', () => {
  it('works from ESM', async () => {
    const script = body(`
import { createRelay, isSwitchyardError } from 'switchyard';
import { expressRelay } from 'switchyard/express';
import { createMockUpstream } from 'switchyard/testing';`);
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    expect(JSON.parse(stdout)).toEqual({ content: expect.stringContaining('Hello from pkg'), code: 'ERR_SWITCHYARD_INVALID_CONFIG' });
  });

  it('works from CommonJS', async () => {
    const script = `(async () => {${body(`
const { createRelay, isSwitchyardError } = require('switchyard');
const { expressRelay } = require('switchyard/express');
const { createMockUpstream } = require('switchyard/testing');`)}})().catch((e) => { console.error(e); process.exit(1); });`;
    const { stdout } = await run(process.execPath, ['--input-type=commonjs', '-e', script], { cwd: root });
    expect(JSON.parse(stdout)).toEqual({ content: expect.stringContaining('Hello from pkg'), code: 'ERR_SWITCHYARD_INVALID_CONFIG' });
  });

  // The optional peer is found from either build (`import.meta.url` is shimmed in CommonJS).
  const traced = (load: string) => `
${load}
const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
const mock = await createMockUpstream({ name: 'pkg' });
const relay = createRelay({ providers: { p: { type: 'openai', baseURL: mock.url, apiKey: 'sk-x' } }, models: { m: { targets: [{ provider: 'p', model: 'up' }] } } });
await relay.chat({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
await relay.close();
await mock.close();
console.log(JSON.stringify(exporter.getFinishedSpans().map((s) => s.name)));
`;

  it('traces from ESM when @opentelemetry/api is installed', async () => {
    const script = traced(`
import { createRelay } from 'switchyard';
import { createMockUpstream } from 'switchyard/testing';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';`);
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    expect(JSON.parse(stdout)).toEqual(['chat up', 'chat m']);
  });

  it('traces from CommonJS when @opentelemetry/api is installed', async () => {
    const script = `(async () => {${traced(`
const { createRelay } = require('switchyard');
const { createMockUpstream } = require('switchyard/testing');
const { trace } = require('@opentelemetry/api');
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');`)}})().catch((e) => { console.error(e); process.exit(1); });`;
    const { stdout } = await run(process.execPath, ['--input-type=commonjs', '-e', script], { cwd: root });
    expect(JSON.parse(stdout)).toEqual(['chat up', 'chat m']);
  });

  it('works where @opentelemetry/api is not installed', async () => {
    // The package with its dependencies and nothing else: the optional peer cannot be found.
    const dir = mkdtempSync(join(tmpdir(), 'sy-no-otel-'));
    const pkg = join(dir, 'node_modules', 'switchyard');
    mkdirSync(pkg, { recursive: true });
    cpSync(join(root, 'dist'), join(pkg, 'dist'), { recursive: true });
    cpSync(join(root, 'package.json'), join(pkg, 'package.json'));
    const deps = Object.keys((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
    for (const dep of deps) {
      mkdirSync(dirname(join(dir, 'node_modules', dep)), { recursive: true });
      symlinkSync(join(root, 'node_modules', dep), join(dir, 'node_modules', dep));
    }
    const script = `
import { createRelay } from 'switchyard';
import { createMockUpstream } from 'switchyard/testing';
let api = 'missing';
try { await import('@opentelemetry/api'); api = 'found'; } catch {}
const mock = await createMockUpstream({ name: 'pkg' });
const relay = createRelay({ providers: { p: { type: 'openai', baseURL: mock.url } }, models: { m: { targets: [{ provider: 'p', model: 'up' }] } } });
const out = await relay.chat({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
await relay.close();
await mock.close();
console.log(JSON.stringify({ api, content: out.choices[0].message.content }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: dir });
    expect(JSON.parse(stdout)).toEqual({ api: 'missing', content: expect.stringContaining('Hello from pkg') });
  });

  it('recognises its errors across two copies of the package', async () => {
    const script = `
import { InvalidRequestError } from 'switchyard';
const cjs = (await import('node:module')).createRequire(import.meta.url)('switchyard');
console.log(JSON.stringify(cjs.isSwitchyardError(new InvalidRequestError('x'))));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    expect(JSON.parse(stdout)).toBe(true);
  });
});
