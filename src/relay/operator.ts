/**
 * @module
 * An operator's controls over a running relay: hold a breaker open or closed, drain a
 * provider, report a configuration that could not be applied. Each one is a `control`
 * event naming who did it.
 */
import { InvalidRequestError } from '../errors/index.js';
import type { RelayEventMap, RelayEvents } from '../events.js';
import type { ResolvedConfig } from '../config.js';
import type { Registry } from './registry.js';

export class Operator {
  constructor(
    private readonly registry: Registry,
    private readonly events: RelayEvents,
    private readonly config: () => ResolvedConfig,
  ) {}

  /** See `Relay.setBreaker`. */
  setBreaker(provider: string, model: string | undefined, state: 'open' | 'closed' | 'auto', actor?: string): void {
    const targets = this.registry.all().filter((t) => t.provider.name === provider && (model === undefined || t.model === model));
    if (targets.length === 0) throw new InvalidRequestError(`No target ${model === undefined ? `on provider ${provider}` : `${provider}/${model}`}.`, 'provider');
    // An override is this instance's own: it is not published to the others.
    this.registry.quietly(() => targets.forEach((t) => this.registry.breaker(t).force(state === 'auto' ? undefined : state)));
    this.control({ action: 'breaker', actor, provider, model, state });
  }

  /** See `Relay.drain`. */
  drain(provider: string, actor?: string): void {
    if (!this.config().providers.has(provider)) throw new InvalidRequestError(`No provider ${provider}.`, 'provider');
    this.registry.draining.add(provider);
    this.control({ action: 'drain', actor, provider });
  }

  /** See `Relay.undrain`. */
  undrain(provider: string, actor?: string): void {
    this.registry.draining.delete(provider);
    this.control({ action: 'undrain', actor, provider });
  }

  /** An `update` that took effect: what came and went. */
  updated(previous: ResolvedConfig, next: ResolvedConfig, actor?: string): void {
    const names = (m: Map<string, unknown>) => [...m.keys()];
    this.control({
      action: 'update',
      actor,
      detail: {
        providersAdded: names(next.providers).filter((n) => !previous.providers.has(n)),
        providersRemoved: names(previous.providers).filter((n) => !next.providers.has(n)),
        modelsAdded: names(next.models).filter((n) => !previous.models.has(n)),
        modelsRemoved: names(previous.models).filter((n) => !next.models.has(n)),
      },
    });
  }

  /** See `Relay.reportConfigError`. */
  configError(path: string, message: string, actor?: string): void {
    // [secrets] A message may quote a secret the configuration in force holds: listeners log it.
    this.control({ action: 'configError', actor, detail: { path, message: this.config().redactor.message(message) } });
  }

  private control(payload: RelayEventMap['control']): void {
    this.events.emit('control', payload);
  }
}
