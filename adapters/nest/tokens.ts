/**
 * @module
 * Injection tokens. The relay itself is injected by its class, `Relay`; the options are
 * injected by a token that shares the name of their type, as Nest's own modules do.
 */
import type { RelayConfig } from 'switchyard';

/** The relay configuration the module was given (`forRoot`) or built (`forRootAsync`). */
export type SwitchyardOptions = RelayConfig;

/**
 * Injection token of {@link SwitchyardOptions}.
 *
 * @example
 * ```ts
 * constructor(@Inject(SwitchyardOptions) options: SwitchyardOptions) {}
 * ```
 */
export const SwitchyardOptions: unique symbol = Symbol('SwitchyardOptions');
