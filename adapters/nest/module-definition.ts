/**
 * @module
 * The dynamic-module plumbing, made by Nest's own `ConfigurableModuleBuilder`:
 * `forRoot(options)` and `forRootAsync({ imports, inject, useFactory })`, each with the
 * extras `path` (where the controller is mounted) and `isGlobal`.
 */
import { ConfigurableModuleBuilder } from '@nestjs/common';
import { APP_FILTER, HttpAdapterHost } from '@nestjs/core';
import type { DebugOption } from 'switchyard';
import { BodyErrorHooks, RelayBodyErrorFilter } from './body-errors.js';
import { relayController, type OperatorRouteOptions } from './controller.js';
import { SwitchyardOptions } from './tokens.js';

/** Options of `forRoot`/`forRootAsync` that are about the module, not the relay. */
export interface SwitchyardModuleExtras {
  /**
   * Controller path of the routes: `POST {path}/chat/completions`, `POST {path}/embeddings`,
   * `GET {path}/models`.
   * A global prefix (`app.setGlobalPrefix`) comes in front of it, as for any controller.
   * @default 'v1'
   */
  path: string;
  /**
   * Registers the module globally, so `SwitchyardService` and `Relay` can be injected in
   * every module of the host without importing this one.
   * @default false
   */
  isGlobal: boolean;
  /**
   * Operator routes under `path`, off unless enabled: `{ health, stats, dashboard, metrics }`
   * (see the core's `NodeHandlerOptions`). The host's guards cover them like any route.
   * @default {}
   */
  routes: OperatorRouteOptions;
  /**
   * Whether a client's `x-switchyard-debug: 1` is honoured on the relay's routes: `true`,
   * or a predicate over the raw request (see the core's `NodeHandlerOptions.debug`).
   * @default false
   */
  debug: DebugOption;
}

export const { ConfigurableModuleClass, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } = new ConfigurableModuleBuilder<SwitchyardOptions>({
  optionsInjectionToken: SwitchyardOptions,
  moduleName: 'Switchyard',
})
  .setClassMethodName('forRoot')
  .setExtras<SwitchyardModuleExtras>({ path: 'v1', isGlobal: false, routes: {}, debug: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
    controllers: [...(definition.controllers ?? []), relayController(extras.path, extras.routes, extras.debug)],
    providers: [
      ...(definition.providers ?? []),
      // Bodies the platform's parser rejects on the relay's paths: in the relay's envelope (see body-errors.ts).
      { provide: BodyErrorHooks, useFactory: (host: HttpAdapterHost) => new BodyErrorHooks(host, extras.path), inject: [HttpAdapterHost] },
      { provide: APP_FILTER, useClass: RelayBodyErrorFilter },
    ],
  }))
  .build();

/** What `SwitchyardModule.forRoot()` takes: the relay configuration plus `path` and `isGlobal`. */
export type SwitchyardModuleOptions = typeof OPTIONS_TYPE;
/** What `SwitchyardModule.forRootAsync()` takes: `imports`, `inject`, `useFactory` (or `useClass`/`useExisting`) plus `path` and `isGlobal`. */
export type SwitchyardModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;
