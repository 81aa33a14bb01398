/**
 * The built Koa and Nest adapters, imported the way users import them (`npm test` builds
 * first): Koa from ESM, Nest from CommonJS (most Nest hosts are CommonJS). Each child
 * process mounts a relay over a mock, relays one request through HTTP and closes all.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

const config = `{
  providers: { p: { type: 'openai', baseURL: mock.url, apiKey: 'sk-x' } },
  models: { m: { targets: [{ provider: 'p', model: 'up' }] } },
}`;
const request = `(url) => fetch(url + '/v1/chat/completions', {
  method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
}).then((r) => r.json())`;

describe('built adapters', () => {
  it('switchyard/koa works from ESM', async () => {
    const script = `
import Koa from 'koa';
import { createRelay } from 'switchyard';
import { koaRelay } from 'switchyard/koa';
import { createMockUpstream } from 'switchyard/testing';
const mock = await createMockUpstream({ name: 'pkg' });
const relay = createRelay(${config});
const app = new Koa().use(koaRelay(relay, { prefix: '/v1' }));
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const out = await (${request})('http://127.0.0.1:' + server.address().port);
server.close();
await relay.close();
await mock.close();
console.log(JSON.stringify(out.choices[0].message.content));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    expect(JSON.parse(stdout)).toContain('Hello from pkg');
  });

  it('switchyard/nest works from CommonJS', async () => {
    const script = `(async () => {
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { Relay } = require('switchyard');
const { SwitchyardModule, SwitchyardService } = require('switchyard/nest');
const { createMockUpstream } = require('switchyard/testing');
const mock = await createMockUpstream({ name: 'pkg' });
class AppModule {}
Module({ imports: [SwitchyardModule.forRoot({ ...${config}, path: 'v1' })] })(AppModule);
const app = await NestFactory.create(AppModule, { logger: false });
await app.listen(0, '127.0.0.1');
const out = await (${request})('http://127.0.0.1:' + app.getHttpServer().address().port);
const direct = await app.get(SwitchyardService).chat({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
const relay = app.get(Relay);
await app.close();
await mock.close();
console.log(JSON.stringify({ http: out.choices[0].message.content, direct: direct.choices.length, closed: relay.isClosed }));
})().catch((e) => { console.error(e); process.exit(1); });`;
    const { stdout } = await run(process.execPath, ['--input-type=commonjs', '-e', script], { cwd: root });
    expect(JSON.parse(stdout)).toEqual({ http: expect.stringContaining('Hello from pkg'), direct: 1, closed: true });
  });
});
