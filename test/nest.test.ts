/**
 * What only the Nest adapter has: `forRootAsync` from the host's ConfigService, the
 * injectable `SwitchyardService` (a Promise and an Observable whose teardown aborts the
 * upstream), the relay's lifecycle, and host-wide Nest features around the route. The
 * HTTP behaviour it shares with every adapter is in conformance.test.ts.
 */
import 'reflect-metadata';
import { Catch, Inject, Injectable, Module, UnauthorizedException, type ArgumentsHost, type CanActivate, type ExceptionFilter, type ExecutionContext, type INestApplication } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER, APP_GUARD, NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { firstValueFrom, map, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { Relay, type RelayConfig } from 'switchyard';
import { SwitchyardModule, SwitchyardOptions, SwitchyardService } from 'switchyard/nest';
import type { MockUpstream } from 'switchyard/testing';
import { MESSAGES, chainConfig, startMocks } from './helpers/harness.js';

let app: INestApplication | undefined;
let mocks: Record<string, MockUpstream> = {};

afterEach(async () => {
  await app?.close();
  app = undefined;
  await Promise.all(Object.values(mocks).map((m) => m.close()));
  mocks = {};
});

async function boot(imports: unknown[], extra: { providers?: unknown[]; prefix?: string } = {}): Promise<string> {
  @Module({ imports: imports as never[], providers: (extra.providers ?? []) as never[] })
  class AppModule {}
  app = await NestFactory.create(AppModule, { logger: false, forceCloseConnections: true });
  if (extra.prefix) app.setGlobalPrefix(extra.prefix);
  await app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
}

const post = (url: string, body: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model: 'chat', messages: MESSAGES, ...body }) });

describe('SwitchyardModule', () => {
  it('forRootAsync builds the relay from the host’s ConfigService', async () => {
    mocks = await startMocks(['primary', 'backup']);
    const origin = await boot([
      SwitchyardModule.forRootAsync({
        imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ relay: chainConfig(mocks) })] })],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => config.getOrThrow<RelayConfig>('relay'),
        path: 'llm/v1',
      }),
    ]);
    const res = await post(`${origin}/llm/v1/chat/completions`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-provider')).toBe('primary');
    expect(app!.get(SwitchyardOptions)).toMatchObject({ models: { chat: expect.any(Object) } });
    expect(app!.get(SwitchyardOptions)).not.toHaveProperty('path');
  });

  it('serves the operator routes it is given, and only those', async () => {
    mocks = await startMocks(['primary']);
    const origin = await boot([SwitchyardModule.forRoot({ ...chainConfig(mocks), routes: { health: true, stats: true } })]);
    const health = await fetch(`${origin}/v1/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('ok');
    expect((await fetch(`${origin}/v1/stats`)).status).toBe(200);
    expect((await fetch(`${origin}/v1/dashboard`)).status).toBe(404);
    expect((await fetch(`${origin}/v1/requests`)).status).toBe(404);
    expect(app!.get(SwitchyardOptions)).not.toHaveProperty('routes');
  });

  it('routes the admin controls when routes.admin is on, and not otherwise', async () => {
    mocks = await startMocks(['primary', 'backup']);
    const origin = await boot([SwitchyardModule.forRoot({ ...chainConfig(mocks), routes: { admin: true } })]);
    const targets = (await (await fetch(`${origin}/v1/admin/targets`)).json()) as { targets: { provider: string; draining: boolean }[] };
    expect(targets.targets.map((t) => t.provider)).toEqual(['primary', 'backup']);
    const drained = await fetch(`${origin}/v1/admin/drain`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ provider: 'primary', draining: true }) });
    expect(drained.status).toBe(200);
    expect((await post(`${origin}/v1/chat/completions`)).headers.get('x-switchyard-provider')).toBe('backup');
    const held = await fetch(`${origin}/v1/admin/breaker`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ provider: 'backup', state: 'open' }) });
    expect(held.status).toBe(200);
    expect(app!.get(Relay).targets().find((t) => t.provider === 'backup')!.override).toBe('open');
    const bad = await fetch(`${origin}/v1/admin/breaker`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ provider: 'backup', state: 'ajar' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { param: string } }).error.param).toBe('state');
    await app!.close();
    app = undefined;
    const plain = await boot([SwitchyardModule.forRoot(chainConfig(mocks))]);
    expect((await fetch(`${plain}/v1/admin/targets`)).status).toBe(404);
  });

  it('serves the request log with its query, as JSON and live', async () => {
    mocks = await startMocks(['primary']);
    const origin = await boot([SwitchyardModule.forRoot({ ...chainConfig(mocks), routes: { requests: true } })]);
    expect((await post(`${origin}/v1/chat/completions`)).status).toBe(200);
    const log = (await (await fetch(`${origin}/v1/requests?status=ok&limit=5`)).json()) as { records: { model: string; status: string }[] };
    expect(log.records).toMatchObject([{ model: 'chat', status: 'ok' }]);
    expect((await fetch(`${origin}/v1/requests?status=nope`)).status).toBe(400);
    const controller = new AbortController();
    const live = await fetch(`${origin}/v1/requests?stream=1`, { signal: controller.signal });
    expect(live.headers.get('content-type')).toContain('text/event-stream');
    controller.abort();
  });

  it('mounts under the host’s global prefix, defaulting to path v1', async () => {
    mocks = await startMocks(['primary']);
    const origin = await boot([SwitchyardModule.forRoot(chainConfig(mocks))], { prefix: 'api' });
    expect((await post(`${origin}/api/v1/chat/completions`)).status).toBe(200);
    expect((await post(`${origin}/v1/chat/completions`)).status).toBe(404);
  });

  it('runs the host’s global guard and exception filter on the relay route', async () => {
    mocks = await startMocks(['primary']);
    @Injectable()
    class DenyGuard implements CanActivate {
      canActivate(context: ExecutionContext): boolean {
        if (context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-pass'] !== 'yes') throw new UnauthorizedException();
        return true;
      }
    }
    @Catch(UnauthorizedException)
    class HostFilter implements ExceptionFilter {
      catch(_err: UnauthorizedException, host: ArgumentsHost) {
        host.switchToHttp().getResponse().status(401).json({ host: 'says no' });
      }
    }
    const origin = await boot([SwitchyardModule.forRoot({ ...chainConfig(mocks), path: 'v1' })], {
      providers: [
        { provide: APP_GUARD, useClass: DenyGuard },
        { provide: APP_FILTER, useClass: HostFilter },
      ],
    });
    const denied = await post(`${origin}/v1/chat/completions`);
    expect(denied.status).toBe(401);
    expect(await denied.json()).toEqual({ host: 'says no' });
    expect(mocks.primary!.count).toBe(0);
    expect((await post(`${origin}/v1/chat/completions`, {}, { 'x-pass': 'yes' })).status).toBe(200);
  });

  it('isGlobal makes the service injectable in modules that do not import it', async () => {
    mocks = await startMocks(['primary']);
    @Injectable()
    class Feature {
      constructor(@Inject(SwitchyardService) readonly llm: SwitchyardService) {}
    }
    @Module({ providers: [Feature] })
    class FeatureModule {}
    await boot([SwitchyardModule.forRoot({ ...chainConfig(mocks), isGlobal: true }), FeatureModule]);
    const completion = await app!.get(Feature).llm.chat({ model: 'chat', messages: MESSAGES });
    expect(completion.model).toBe('primary-model');
  });

  it('closes the relay when the application shuts down', async () => {
    mocks = await startMocks(['primary']);
    await boot([SwitchyardModule.forRoot(chainConfig(mocks))]);
    const relay = app!.get(Relay);
    expect(relay.isClosed).toBe(false);
    await app!.close();
    app = undefined;
    expect(relay.isClosed).toBe(true);
  });
});

describe('SwitchyardService', () => {
  @Injectable()
  class Summaries {
    constructor(@Inject(SwitchyardService) readonly llm: SwitchyardService) {}
  }

  async function service(): Promise<SwitchyardService> {
    mocks = await startMocks(['primary', 'backup']);
    @Module({ imports: [SwitchyardModule.forRoot(chainConfig(mocks))], providers: [Summaries] })
    class AppModule {}
    app = await NestFactory.create(AppModule, { logger: false });
    await app.init();
    return app.get(Summaries).llm;
  }

  it('chat() resolves with the completion, failing over like the route', async () => {
    const llm = await service();
    mocks.primary!.setFault({ status: 503 });
    const completion = await llm.chat({ model: 'chat', messages: MESSAGES });
    expect(completion.model).toBe('backup-model');
  });

  it('embeddings() resolves with the embedding list', async () => {
    const llm = await service();
    const list = await llm.embeddings({ model: 'chat', input: ['a', 'b'] });
    expect(list.data).toHaveLength(2);
  });

  it('chat() rejects with a SwitchyardError', async () => {
    const llm = await service();
    await expect(llm.chat({ model: 'nope', messages: MESSAGES })).rejects.toMatchObject({ code: 'ERR_SWITCHYARD_MODEL_NOT_FOUND' });
  });

  it('stream() emits the chunks and completes', async () => {
    const llm = await service();
    const text = await firstValueFrom(
      llm.stream({ model: 'chat', messages: MESSAGES }).pipe(
        map((c) => (c.choices[0] as { delta?: { content?: string } } | undefined)?.delta?.content ?? ''),
        toArray(),
      ),
    );
    expect(text.join('')).toBe('Hello from primary! This is a streamed reply from a mock upstream.');
  });

  it('stream() aborts the upstream when unsubscribed mid-stream', async () => {
    const llm = await service();
    mocks.primary!.setFault({ dripMs: 50 });
    // take(2) unsubscribes after the second chunk: the upstream is still dripping.
    const chunks = await firstValueFrom(llm.stream({ model: 'chat', messages: MESSAGES }).pipe(take(2), toArray()));
    expect(chunks).toHaveLength(2);
    const abandoned = await mocks.primary!.nextAbandoned();
    expect(abandoned.body.stream).toBe(true);
  });

  it('stream() aborts the upstream when unsubscribed before the stream started', async () => {
    const llm = await service();
    mocks.primary!.setFault({ hang: true });
    const subscription = llm.stream({ model: 'chat', messages: MESSAGES }).subscribe({ error: () => {} });
    await expect.poll(() => mocks.primary!.count).toBe(1);
    subscription.unsubscribe();
    await mocks.primary!.nextAbandoned();
    expect(mocks.backup!.count).toBe(0);
  });

  it('stream() errors with the relay’s error when nothing can serve', async () => {
    const llm = await service();
    mocks.primary!.setFault({ status: 500 });
    mocks.backup!.setFault({ status: 500 });
    await expect(firstValueFrom(llm.stream({ model: 'chat', messages: MESSAGES }))).rejects.toMatchObject({ code: 'ERR_SWITCHYARD_ALL_TARGETS_FAILED' });
  });
});
