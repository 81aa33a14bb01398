/**
 * Nest: a body the platform's parser rejects (not JSON, too large, empty) on the relay's
 * routes gets the relay's envelope; the host's own routes, and the host's own exception
 * filters there, keep Nest's answer. Under Express and under Fastify, with a global prefix.
 */
import 'reflect-metadata';
import { Body, Catch, Controller, HttpException, Module, Post, type ArgumentsHost, type ExceptionFilter, type INestApplication } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { routeErrorResponse, InvalidRequestError } from 'switchyard';
import { SwitchyardModule } from 'switchyard/nest';
import type { MockUpstream } from 'switchyard/testing';
import { MESSAGES, chainConfig, startMocks } from './helpers/harness.js';
import { relayRoute } from '../adapters/nest/body-errors.js';

let app: INestApplication | undefined;
let mocks: Record<string, MockUpstream> = {};

afterEach(async () => {
  await app?.close();
  app = undefined;
  await Promise.all(Object.values(mocks).map((m) => m.close()));
  mocks = {};
});

@Controller('v1')
class HostController {
  @Post('echo')
  echo(@Body() body: unknown) {
    return { got: body };
  }
}

/** The host's own filter for every HttpException: its routes' bad bodies get its shape. */
@Catch(HttpException)
class HostHttpFilter implements ExceptionFilter {
  catch(exception: HttpException, host: ArgumentsHost) {
    const res = host.switchToHttp().getResponse<{ status?(n: number): { json(b: unknown): void }; code?(n: number): { send(b: unknown): void } }>();
    const status = exception.getStatus();
    if (typeof res.code === 'function') res.code(status).send({ host: 'filtered' });
    else res.status!(status).json({ host: 'filtered' });
  }
}

type Platform = 'express' | 'fastify';

async function boot(platform: Platform, options: { hostFilter?: boolean } = {}): Promise<string> {
  mocks = await startMocks(['primary']);
  @Module({
    imports: [SwitchyardModule.forRoot({ ...chainConfig(mocks), path: 'v1' })],
    controllers: [HostController],
    providers: options.hostFilter ? [{ provide: APP_FILTER, useClass: HostHttpFilter }] : [],
  })
  class AppModule {}
  const settings = { logger: false as const, forceCloseConnections: true };
  // Fastify's limit made small, so a "too large" body stays small in the test.
  app = platform === 'fastify' ? await NestFactory.create(AppModule, new FastifyAdapter({ bodyLimit: 64 * 1024 }), settings) : await NestFactory.create(AppModule, settings);
  app.setGlobalPrefix('api');
  await app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/api/v1`;
}

const send = (url: string, body: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
const envelope = (code: string) => ({ error: { message: expect.any(String), type: 'invalid_request_error', code, param: null } });

describe.each(['express', 'fastify'] as const)('Nest on %s: bodies its parser rejects', (platform) => {
  it('malformed JSON on a relay route: a 400 in the relay envelope, nothing sent upstream', async () => {
    const url = await boot(platform);
    for (const route of ['chat/completions', 'embeddings']) {
      const res = await send(`${url}/${route}`, '{"model": "chat",');
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual(envelope('invalid_request'));
    }
    expect(mocks.primary!.count).toBe(0);
    // The route still works.
    const ok = await send(`${url}/chat/completions`, JSON.stringify({ model: 'chat', messages: MESSAGES }));
    expect(ok.status).toBe(200);
  });

  it('a body over the parser’s limit on a relay route: a 413 in the relay envelope', async () => {
    const url = await boot(platform);
    // Over Nest's 100 kB (Express) and the 64 KiB given to Fastify, far under the relay's own 10 MiB.
    const big = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x'.repeat(150 * 1024) }] });
    const res = await send(`${url}/chat/completions`, big);
    expect(res.status).toBe(413);
    const body = (await res.json()) as { error: { message: string } };
    expect(body).toEqual(envelope('request_too_large'));
    expect(body.error.message).toMatch(/limit of \d+ bytes|too large/);
    expect(mocks.primary!.count).toBe(0);
  });

  it('the host’s own route keeps Nest’s answer to the same body', async () => {
    const url = await boot(platform);
    const res = await send(`${url}/echo`, '{"model": "chat",');
    expect(res.status).toBe(400);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ statusCode: 400 });
    expect(body).not.toHaveProperty('error.type');
    expect((await send(`${url}/echo`, '{"a":1}')).status).toBe(201);
  });

  it('the host’s own filter still handles its routes; the relay routes keep the envelope', async () => {
    const url = await boot(platform, { hostFilter: true });
    const host = await send(`${url}/echo`, '{"model": "chat",');
    expect(host.status).toBe(400);
    expect(await host.json()).toEqual({ host: 'filtered' });
    const relay = await send(`${url}/chat/completions`, '{"model": "chat",');
    expect(relay.status).toBe(400);
    expect(await relay.json()).toEqual(envelope('invalid_request'));
  });
});

describe('which envelope a route uses, as the core decides it', () => {
  it('Anthropic’s on the Messages routes, OpenAI’s elsewhere', () => {
    const err = new InvalidRequestError('bad body');
    expect(routeErrorResponse('/messages', err)).toMatchObject({ status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'bad body' } } });
    expect(routeErrorResponse('/messages/count_tokens', err).body).toMatchObject({ type: 'error' });
    for (const route of ['/chat/completions', '/responses', '/embeddings']) {
      expect(routeErrorResponse(route, err)).toMatchObject({ status: 400, body: { error: { type: 'invalid_request_error', code: 'invalid_request' } } });
    }
  });

  it('the relay’s paths are matched whole, after any global prefix, and nothing else', () => {
    expect(relayRoute('v1', '/v1/chat/completions')).toBe('/chat/completions');
    expect(relayRoute('v1', '/api/v1/messages')).toBe('/messages');
    expect(relayRoute('/llm/v1/', '/llm/v1/embeddings/')).toBe('/embeddings');
    expect(relayRoute('v1', '/xv1/chat/completions')).toBeUndefined();
    expect(relayRoute('v1', '/v1/echo')).toBeUndefined();
    expect(relayRoute('v1', '/v2/chat/completions')).toBeUndefined();
  });
});
