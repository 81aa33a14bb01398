/**
 * @module
 * The targets of one request in the order to try them: the model's routing strategy,
 * minus the targets whose context window the prompt cannot fit.
 */
import type { ResolvedTarget } from '../config.js';
import { InvalidRequestError } from '../errors/index.js';
import { DEFAULTS } from '../options.js';
import { costOf, priceOf } from '../pricing.js';
import { orderTargets } from '../routing/strategy.js';
import { fits, needsTokenizer, promptTokens, tokenize } from '../tokens/estimate.js';
import { record } from './records.js';
import type { ChainRequest, EngineRuntime } from './runtime.js';

export async function plan(rt: EngineRuntime, req: ChainRequest): Promise<ResolvedTarget[]> {
  const { model, body, endpoint, estimate } = req;
  const { config, stats } = rt;
  const windows = endpoint === 'chat' && model.targets.some((t) => t.contextWindow !== undefined);
  if (windows && needsTokenizer(model.targets) && estimate.tokenized === undefined) await tokenize(estimate, body);
  const order = orderTargets(model, {
    stats,
    random: config.random,
    exploration: config.exploration,
    isOpen: (t) => rt.breaker(t).state === 'open',
    cost: (t) => {
      const price = priceOf(t);
      return price ? costOf(price, promptTokens(estimate, t), estimate.reserved || DEFAULTS.typicalOutputTokens) : undefined;
    },
  });
  if (!windows) return order;
  const fitting = order.filter((t) => fits(estimate, t));
  for (const t of order) if (!fitting.includes(t)) req.attempts.push(record(t, 'unsupported', 0, undefined, 'context window too small'));
  if (fitting.length === 0) {
    const tokens = Math.max(...order.map((t) => promptTokens(estimate, t)));
    throw new InvalidRequestError(
      `The prompt (about ${tokens} tokens plus ${estimate.reserved} reserved for the answer) does not fit the context window of any target of \`${model.name}\`.`,
      'messages',
    );
  }
  return fitting;
}
