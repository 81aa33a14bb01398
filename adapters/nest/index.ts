/**
 * @module
 * NestJS adapter: `SwitchyardModule.forRoot()`/`forRootAsync()` mount the relay as a
 * controller; `SwitchyardService` gives host code `chat()` and an Observable `stream()`;
 * the relay itself is injectable as `Relay`.
 */
export { SwitchyardModule } from './module.js';
export { SwitchyardService } from './service.js';
export { SwitchyardOptions } from './tokens.js';
export type { SwitchyardModuleExtras, SwitchyardModuleOptions, SwitchyardModuleAsyncOptions } from './module-definition.js';
