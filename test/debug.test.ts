/**
 * Debug detail on the host's terms: `x-switchyard-debug: 1` gets per-attempt details (the
 * `x-switchyard-attempt-details` header, upstream messages in a 502 body's `attempts`)
 * only where the handler's `debug` option allows it — `true`, or a predicate over the
 * request — and it is off by default. The same through the Express, Koa and Nest
 * adapters.
 */
import 'reflect-metadata';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import express from 'express';
import Koa from 'koa';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay, type DebugOption, type Relay } from 'switchyard';
import { expressRelay } from 'switchyard/express';
import { koaRelay } from 'switchyard/koa';
import { SwitchyardModule } from 'switchyard/nest';
import type { MockUpstream } from 'switchyard/testing';
import { chainConfig, closeServer, listen, postChat, startMocks } from './helpers/harness.js';

const UPSTREAM_MESSAGE = 'The upstream is melting: shard 7 of cluster eu-2 is down.';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** Two failing mocks behind a relay: every request ends in a 502 with two attempts. */
async function failing(): Promise<{ relay: Relay; mocks: Record<string, MockUpstream> }> {
  const mocks = await startMocks(['primary', 'backup']);
  for (const m of Object.values(mocks)) m.setFault({ status: 503, body: { error: { message: UPSTREAM_MESSAGE, type: 'server_error' } } });
  const relay = createRelay(chainConfig(mocks, { retry: { attempts: 1 } }));
  cleanup.push(async () => {
    await relay.close();
    await Promise.all(Object.values(mocks).map((m) => m.close()));
  });
  return { relay, mocks };
}

type Mount = (relay: Relay, debug: DebugOption | undefined) => Promise<string>;

const nodeMount: Mount = async (relay, debug) => {
  const { server, origin } = await listen(relay.nodeHandler({ prefix: '/v1', ...(debug === undefined ? {} : { debug }) }));
  cleanup.push(() => closeServer(server));
  return `${origin}/v1`;
};
const expressMount: Mount = async (relay, debug) => {
  const app = express();
  app.use(express.json());
  app.use('/v1', expressRelay(relay, debug === undefined ? {} : { debug }));
  const { server, origin } = await listen(app);
  cleanup.push(() => closeServer(server));
  return `${origin}/v1`;
};
const koaMount: Mount = async (relay, debug) => {
  const app = new Koa().use(koaRelay(relay, { prefix: '/v1', ...(debug === undefined ? {} : { debug }) }));
  const { server, origin } = await listen(app.callback());
  cleanup.push(() => closeServer(server));
  return `${origin}/v1`;
};
/** Nest builds its own relay from the module options (the mounts above take a relay). */
async function nest(debug: DebugOption | undefined): Promise<string> {
  const mocks = await startMocks(['primary', 'backup']);
  for (const m of Object.values(mocks)) m.setFault({ status: 503, body: { error: { message: UPSTREAM_MESSAGE, type: 'server_error' } } });
  @Module({ imports: [SwitchyardModule.forRoot({ ...chainConfig(mocks, { retry: { attempts: 1 } }), path: 'v1', ...(debug === undefined ? {} : { debug }) })] })
  class AppModule {}
  const app: INestApplication = await NestFactory.create(AppModule, { logger: false, forceCloseConnections: true });
  await app.listen(0, '127.0.0.1');
  cleanup.push(async () => {
    await app.close();
    await Promise.all(Object.values(mocks).map((m) => m.close()));
  });
  return `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/v1`;
}

const MOUNTS: [string, (debug: DebugOption | undefined) => Promise<string>][] = [
  ['node:http', async (debug) => nodeMount((await failing()).relay, debug)],
  ['express', async (debug) => expressMount((await failing()).relay, debug)],
  ['koa', async (debug) => koaMount((await failing()).relay, debug)],
  ['nest', nest],
];

const asked = { 'x-switchyard-debug': '1' };

function expectNoDetail(r: Awaited<ReturnType<typeof postChat>>) {
  expect(r.status).toBe(502);
  expect(r.headers.get('x-switchyard-attempt-details')).toBeNull();
  expect(r.text).not.toContain('melting');
  // Still useful: who was tried, how it went, how long it took.
  expect(r.json.error.attempts).toEqual([
    { provider: 'primary', model: 'primary-model', outcome: 'server', status: 503, latencyMs: expect.any(Number), detail: 'server_error' },
    { provider: 'backup', model: 'backup-model', outcome: 'server', status: 503, latencyMs: expect.any(Number), detail: 'server_error' },
  ]);
}

function expectDetail(r: Awaited<ReturnType<typeof postChat>>) {
  expect(r.status).toBe(502);
  const details = JSON.parse(r.headers.get('x-switchyard-attempt-details')!);
  expect(details.map((a: { provider: string; message?: string }) => [a.provider, a.message])).toEqual([
    ['primary', UPSTREAM_MESSAGE],
    ['backup', UPSTREAM_MESSAGE],
  ]);
  expect(r.json.error.attempts.map((a: { message?: string }) => a.message)).toEqual([UPSTREAM_MESSAGE, UPSTREAM_MESSAGE]);
}

describe.each(MOUNTS)('%s', (_name, mount) => {
  it('ignores x-switchyard-debug by default: attempts without upstream messages, no details header', async () => {
    const url = await mount(undefined);
    expectNoDetail(await postChat(url, {}, asked));
    expectNoDetail(await postChat(url, {}));
  });

  it('with debug: true, a client that asks gets the details; one that does not, none', async () => {
    const url = await mount(true);
    expectDetail(await postChat(url, {}, asked));
    expectNoDetail(await postChat(url, {}));
  });

  it('with a predicate, only the requests it allows', async () => {
    const url = await mount((req: IncomingMessage) => req.headers['x-admin'] === 'yes');
    expectDetail(await postChat(url, {}, { ...asked, 'x-admin': 'yes' }));
    expectNoDetail(await postChat(url, {}, { ...asked, 'x-admin': 'no' }));
  });
});

describe('the predicate', () => {
  it('that throws denies the details, and the request is still answered', async () => {
    const url = await nodeMount((await failing()).relay, () => {
      throw new Error('auth service down');
    });
    expectNoDetail(await postChat(url, {}, asked));
  });

  it('is not asked when the client did not ask', async () => {
    let calls = 0;
    const url = await nodeMount((await failing()).relay, () => {
      calls++;
      return true;
    });
    expectNoDetail(await postChat(url, {}));
    expect(calls).toBe(0);
    expectDetail(await postChat(url, {}, asked));
    expect(calls).toBe(1);
  });
});

describe('host code', () => {
  it('still gets the upstream messages in the attempts of a thrown error: it is trusted, unlike a client', async () => {
    const { relay } = await failing();
    const err = (await relay.chat({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)) as { attempts: { message?: string }[] };
    expect(err.attempts.map((a) => a.message)).toEqual([UPSTREAM_MESSAGE, UPSTREAM_MESSAGE]);
  });
});
