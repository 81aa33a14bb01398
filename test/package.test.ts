/**
 * The built package, imported the way users import it: from ESM and from CommonJS,
 * through the `exports` map (`npm test` builds first). Each child process starts a mock,
 * relays one request through it, and closes everything.
 */
import { execFile } from 'node:child_process';
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

  it('recognises its errors across two copies of the package', async () => {
    const script = `
import { InvalidRequestError } from 'switchyard';
const cjs = (await import('node:module')).createRequire(import.meta.url)('switchyard');
console.log(JSON.stringify(cjs.isSwitchyardError(new InvalidRequestError('x'))));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    expect(JSON.parse(stdout)).toBe(true);
  });
});
