/**
 * @module
 * `SwitchyardModule`: one relay per import, its controller mounted under `path`, the
 * relay injectable as `Relay` and through {@link SwitchyardService}, and closed when the
 * application shuts down.
 */
import { Inject, Module, type OnModuleDestroy } from '@nestjs/common';
import { Relay, createRelay } from 'switchyard';
import { ConfigurableModuleClass } from './module-definition.js';
import { SwitchyardService } from './service.js';
import { SwitchyardOptions } from './tokens.js';

/**
 * The relay as a Nest module. Its routes are an ordinary controller, so the host's
 * guards, interceptors, pipes and filters apply to them.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     SwitchyardModule.forRootAsync({
 *       imports: [ConfigModule],
 *       inject: [ConfigService],
 *       useFactory: (config: ConfigService) => config.getOrThrow('relay'),
 *       path: 'v1',
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
@Module({
  providers: [{ provide: Relay, useFactory: (options: SwitchyardOptions) => createRelay(options), inject: [SwitchyardOptions] }, SwitchyardService],
  exports: [Relay, SwitchyardService],
})
export class SwitchyardModule extends ConfigurableModuleClass implements OnModuleDestroy {
  constructor(@Inject(Relay) private readonly relay: Relay) {
    super();
  }

  /**
   * Closes the relay before Nest stops the HTTP server, so shutdown never waits on an
   * upstream: streams in flight end, and late requests get 503 `relay_closed`.
   */
  async onModuleDestroy(): Promise<void> {
    await this.relay.close();
  }
}
