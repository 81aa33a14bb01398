/**
 * The host's root module: its configuration, its auth guard for every route, its own
 * controllers, and the relay mounted at /v1 with its options taken from ConfigService.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import type { RelayConfig } from 'switchyard';
import { SwitchyardModule } from 'switchyard/nest';
import { ApiKeyGuard } from './api-key.guard.js';
import { HaikuController } from './haiku.controller.js';
import { HealthController } from './health.controller.js';

export interface ExampleSettings {
  relay: RelayConfig;
  /** Key clients must send as `Authorization: Bearer <key>`; none: open. */
  clientKey?: string;
}

@Module({})
export class AppModule {
  static forRoot(settings: ExampleSettings): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // A real app loads this from its environment or files; here main() hands it over.
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => settings] }),
        SwitchyardModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService) => config.getOrThrow<RelayConfig>('relay'),
          path: 'v1', // POST /v1/chat/completions, GET /v1/models
        }),
      ],
      controllers: [HealthController, HaikuController],
      // The host's guard runs before the relay's controller like before any other.
      providers: [{ provide: APP_GUARD, useClass: ApiKeyGuard }],
    };
  }
}
