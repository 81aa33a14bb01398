/**
 * @module
 * Resolves `models` and `chains` into {@link ResolvedModel}s: each target with its
 * inherited settings, and the routing options of each model or chain.
 */
import { InvalidConfigError } from '../errors/index.js';
import { DEFAULTS, type FailoverRules, type Strategy } from '../options.js';
import type { ResolvedModel, ResolvedTarget } from './resolved.js';
import type { ProviderExtras } from './providers.js';
import { defaultPrice } from '../pricing.js';
import { boolean, budget, describe, expectObject, isObject, key, number, onlyKeys, rateLimit, retryOptions, rules, section, string } from './checks.js';

const STRATEGIES: readonly Strategy[] = ['ordered', 'weighted', 'latency', 'cost', 'least-busy'];
const TARGET_KEYS = ['provider', 'model', 'retry', 'rules', 'weight', 'maxLatencyMs', 'contextWindow', 'price', 'rateLimit', 'budget', 'prefill', 'params'];

function paramRules(value: unknown, path: string): ResolvedTarget['params'] {
  if (value === undefined) return undefined;
  const o = section(value, path, ['drop', 'set', 'rename']);
  const out: NonNullable<ResolvedTarget['params']> = {};
  if (o.drop !== undefined) {
    if (!Array.isArray(o.drop) || !o.drop.every((f) => typeof f === 'string')) throw new InvalidConfigError(`${path}.drop`, `expected an array of field names, got ${describe(o.drop)}`);
    out.drop = o.drop as string[];
  }
  if (o.set !== undefined) out.set = expectObject(o.set, `${path}.set`);
  if (o.rename !== undefined) {
    const rename = expectObject(o.rename, `${path}.rename`);
    for (const [from, to] of Object.entries(rename)) if (typeof to !== 'string') throw new InvalidConfigError(`${path}.rename${key(from)}`, `expected a field name, got ${describe(to)}`);
    out.rename = rename as Record<string, string>;
  }
  return out;
}
const ROUTING_KEYS = ['strategy', 'hedge', 'waitForRecoveryMs'];

function resolveTarget(value: unknown, path: string, providers: Map<string, ProviderExtras>, globalRules: FailoverRules): ResolvedTarget {
  const t = expectObject(value, path);
  onlyKeys(t, path, TARGET_KEYS);
  const providerName = string(t.provider, `${path}.provider`);
  const p = providers.get(providerName);
  if (!p) {
    throw new InvalidConfigError(`${path}.provider`, `unknown provider ${JSON.stringify(providerName)} (configured: ${[...providers.keys()].join(', ')})`);
  }
  const model = string(t.model, `${path}.model`);
  const target: ResolvedTarget = {
    id: `${providerName}/${model}`,
    provider: p.provider,
    model,
    retry: retryOptions(t.retry, `${path}.retry`, p.retry),
    firstByteMs: p.firstByteMs,
    idleMs: p.idleMs,
    firstTokenMs: p.firstTokenMs,
    breaker: p.breaker,
    rules: [rules(t.rules, `${path}.rules`), p.rules, globalRules],
    weight: number(t.weight, `${path}.weight`, 1, 0, false),
    prefill: boolean(t.prefill, `${path}.prefill`, false),
  };
  const params = paramRules(t.params, `${path}.params`);
  if (params) target.params = params;
  const limit = rateLimit(t.rateLimit, `${path}.rateLimit`);
  if (limit) target.rateLimit = limit;
  const cap = budget(t.budget, `${path}.budget`);
  if (cap) target.budget = cap;
  if (t.maxLatencyMs !== undefined) target.maxLatencyMs = number(t.maxLatencyMs, `${path}.maxLatencyMs`, 0, 1);
  if (t.contextWindow !== undefined) target.contextWindow = number(t.contextWindow, `${path}.contextWindow`, 0, 1);
  const known = defaultPrice(model);
  if (known) target.price = known;
  if (t.price !== undefined) {
    const price = section(t.price, `${path}.price`, ['input', 'output']);
    target.price = {
      input: number(price.input, `${path}.price.input`, Number.NaN, 0, false),
      output: number(price.output, `${path}.price.output`, Number.NaN, 0, false),
    };
    if (Number.isNaN(target.price.input) || Number.isNaN(target.price.output)) {
      throw new InvalidConfigError(`${path}.price`, 'expected both input and output (US$ per million tokens)');
    }
  }
  return target;
}

function routing(o: Record<string, unknown>, path: string): Omit<ResolvedModel, 'name' | 'label' | 'kind' | 'targets'> {
  const strategy = o.strategy ?? DEFAULTS.routing.strategy;
  if (!STRATEGIES.includes(strategy as Strategy)) {
    throw new InvalidConfigError(`${path}.strategy`, `expected one of: ${STRATEGIES.join(', ')}, got ${describe(strategy)}`);
  }
  const out: Omit<ResolvedModel, 'name' | 'label' | 'kind' | 'targets'> = {
    strategy: strategy as Strategy,
    waitForRecoveryMs: number(o.waitForRecoveryMs, `${path}.waitForRecoveryMs`, DEFAULTS.routing.waitForRecoveryMs, 0),
  };
  if (o.hedge !== undefined) {
    const hedge = section(o.hedge, `${path}.hedge`, ['afterMs']);
    const afterMs = hedge.afterMs === 'p95' ? 'p95' : number(hedge.afterMs, `${path}.hedge.afterMs`, Number.NaN, 1);
    if (Number.isNaN(afterMs)) throw new InvalidConfigError(`${path}.hedge.afterMs`, 'expected a number of ms >= 1 or "p95", got undefined');
    out.hedge = { afterMs };
  }
  return out;
}

/** `targets` with each upstream (`provider/model`) once, at its first binding. */
export function uniqueTargets(targets: readonly ResolvedTarget[]): ResolvedTarget[] {
  const seen = new Set<string>();
  return targets.filter((t) => !seen.has(t.id) && (seen.add(t.id), true));
}

/** Resolves `models` and `chains` into one map: a chain name is a valid model. */
export function resolveModels(
  modelsIn: Record<string, unknown>,
  chainsIn: Record<string, unknown>,
  providers: Map<string, ProviderExtras>,
  globalRules: FailoverRules,
): Map<string, ResolvedModel> {
  const models = new Map<string, ResolvedModel>();

  for (const [name, value] of Object.entries(modelsIn)) {
    const path = `models${key(name)}`;
    const m = expectObject(value, path);
    onlyKeys(m, path, ['targets', 'budget', ...ROUTING_KEYS]);
    if (!Array.isArray(m.targets) || m.targets.length === 0) {
      throw new InvalidConfigError(`${path}.targets`, `expected a non-empty array of targets, got ${describe(m.targets)}`);
    }
    // Each binding is its own object with its own options, even where two models name the same upstream.
    const targets = m.targets.map((t, i) => resolveTarget(t, `${path}.targets[${i}]`, providers, globalRules));
    const model: ResolvedModel = { name, label: name, kind: 'model', targets, ...routing(m, path) };
    const cap = budget(m.budget, `${path}.budget`);
    if (cap) model.budget = cap;
    models.set(name, model);
  }
  if (models.size === 0) throw new InvalidConfigError('models', 'expected at least one public model');

  for (const [name, value] of Object.entries(chainsIn)) {
    const path = `chains${key(name)}`;
    if (models.has(name)) throw new InvalidConfigError(path, `the name ${JSON.stringify(name)} is already a public model`);
    const c = Array.isArray(value) ? { targets: value } : expectObject(value, path);
    onlyKeys(c, path, ['targets', ...ROUTING_KEYS]);
    const stepsPath = Array.isArray(value) ? path : `${path}.targets`;
    if (!Array.isArray(c.targets) || c.targets.length === 0) {
      throw new InvalidConfigError(stepsPath, `expected a non-empty array of public model names or targets, got ${describe(c.targets)}`);
    }
    const targets: ResolvedTarget[] = [];
    c.targets.forEach((step: unknown, i: number) => {
      const stepPath = `${stepsPath}[${i}]`;
      if (typeof step === 'string') {
        const model = models.get(step);
        if (!model || model.kind !== 'model') {
          throw new InvalidConfigError(stepPath, `unknown public model ${JSON.stringify(step)} (configured: ${Object.keys(modelsIn).join(', ')})`);
        }
        targets.push(...model.targets);
      } else if (isObject(step)) {
        targets.push(resolveTarget(step, stepPath, providers, globalRules));
      } else {
        throw new InvalidConfigError(stepPath, `expected a public model name or a target object, got ${describe(step)}`);
      }
    });
    models.set(name, { name, label: name, kind: 'chain', targets: uniqueTargets(targets), ...routing(c, path) });
  }
  return models;
}
