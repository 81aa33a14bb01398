/**
 * @module
 * Which model or chain serves a request: the `x-switchyard-chain` header, else a
 * per-request fallback list (`models: [...]`, OpenRouter's convention), else `model`.
 * Every name must be a configured public model or chain, so a client can never point
 * the relay at a host of its choosing.
 */
import type { ResolvedConfig, ResolvedModel } from '../config.js';
import { uniqueTargets } from '../config/models.js';
import { HookFailedError, InvalidRequestError, ModelNotFoundError } from '../errors/index.js';

/** The label of a per-request fallback list in events and metrics: one value, whatever the list. */
export const REQUEST_FALLBACKS = '(request fallbacks)';

/** Most entries a per-request fallback list may have. */
const MAX_REQUEST_FALLBACKS = 8;

function lookup(config: ResolvedConfig, name: string, param: string): ResolvedModel {
  const model = config.models.get(name);
  if (!model) throw new ModelNotFoundError(name, param);
  return model;
}

/** Resolves the model or chain for a request body (and the chain header, if sent). */
export function selectModel(config: ResolvedConfig, body: { model: string; models?: unknown }, chainHeader?: string): ResolvedModel {
  if (chainHeader !== undefined) {
    const chain = config.models.get(chainHeader);
    if (!chain || chain.kind !== 'chain') {
      throw new ModelNotFoundError(chainHeader, null, `The chain \`${chainHeader}\` (header x-switchyard-chain) does not exist.`);
    }
    return chain;
  }
  if (body.models === undefined) return lookup(config, body.model, 'model');

  if (!config.requestFallbacks) {
    throw new InvalidRequestError('Per-request fallbacks (`models`) are disabled on this relay; send a single `model`.', 'models');
  }
  const { models } = body;
  if (!Array.isArray(models) || models.length === 0 || models.length > MAX_REQUEST_FALLBACKS || !models.every((m) => typeof m === 'string' && m.length > 0)) {
    throw new InvalidRequestError(`Invalid \`models\`: expected an array of 1 to ${MAX_REQUEST_FALLBACKS} model names.`, 'models');
  }
  const names = models.includes(body.model) ? (models as string[]) : [body.model, ...(models as string[])];
  return chainOf(config, names, (name) => (name === body.model ? 'model' : `models[${models.indexOf(name)}]`));
}

/**
 * A chain of configured public names, tried in order: a per-request fallback list, or
 * the narrower chain a `beforeRequest` hook chose. `param` names the field an unknown
 * name is reported against.
 */
export function chainOf(config: ResolvedConfig, names: string[], param: (name: string) => string): ResolvedModel {
  const chosen = names.map((name) => lookup(config, name, param(name)));
  return {
    name: names.join(','),
    label: REQUEST_FALLBACKS,
    kind: 'chain',
    targets: uniqueTargets(chosen.flatMap((m) => m.targets)),
    strategy: 'ordered',
    waitForRecoveryMs: chosen[0]!.waitForRecoveryMs,
  };
}

/** The model or chain a `beforeRequest` hook narrowed the request to. */
export function narrowedChain(config: ResolvedConfig, names: string[]): ResolvedModel {
  const param = (name: string) => `hooks.beforeRequest models[${names.indexOf(name)}]`;
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) {
    throw new HookFailedError('beforeRequest', 'returned `models` that is not a non-empty list of model names');
  }
  const unknown = names.find((name) => !config.models.has(name));
  if (unknown !== undefined) throw new HookFailedError('beforeRequest', `returned \`models\` naming \`${unknown}\`, which is not a configured model or chain`);
  return names.length === 1 ? lookup(config, names[0]!, param(names[0]!)) : chainOf(config, names, param);
}
