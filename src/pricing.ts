/**
 * @module
 * Prices in US dollars per million tokens, and the cost of a request from its usage.
 * A target's own `price` wins; otherwise the model id is looked up in {@link DEFAULT_PRICES}.
 */
import type { ResolvedTarget } from './config/resolved.js';
import type { Price } from './options.js';

/**
 * Built-in prices (US$ per million tokens) for the models the project's users run most,
 * taken from each provider's public price list. Override them per target with `price`.
 *
 * | model | input | output | source |
 * |---|---|---|---|
 * | gpt-4.1 | 2.00 | 8.00 | OpenAI API pricing page (openai.com/api/pricing) |
 * | claude-sonnet-4.5 | 3.00 | 15.00 | Anthropic pricing page (anthropic.com/pricing), prompts up to 200K tokens |
 * | gemini-2.5-flash | 0.30 | 2.50 | Gemini API pricing (ai.google.dev/gemini-api/docs/pricing), text input |
 * | deepseek-v3.2 | 0.28 | 0.42 | DeepSeek API pricing (api-docs.deepseek.com/quick_start/pricing), cache-miss input |
 * | moonshot-v1-128k | 1.20 | 1.20 | Moonshot platform pricing: moonshot-v1 models bill input and output at one rate |
 */
export const DEFAULT_PRICES: Readonly<Record<string, Price>> = {
  'gpt-4.1': { input: 2.0, output: 8.0 },
  'claude-sonnet-4.5': { input: 3.0, output: 15.0 },
  'claude-sonnet-4-5': { input: 3.0, output: 15.0 },
  'gemini-2.5-flash': { input: 0.3, output: 2.5 },
  'deepseek-v3.2': { input: 0.28, output: 0.42 },
  'moonshot-v1-128k': { input: 1.2, output: 1.2 },
};

/** The default price of a model id (dated snapshots included), or undefined. */
export function defaultPrice(model: string): Price | undefined {
  const exact = DEFAULT_PRICES[model];
  if (exact) return exact;
  // `gpt-4.1-2025-04-14` and `claude-sonnet-4-5-20250929` are priced as their family.
  for (const [family, price] of Object.entries(DEFAULT_PRICES)) {
    if (model.startsWith(`${family}-`) && /^-\d/.test(model.slice(family.length))) return price;
  }
  return undefined;
}

/** The price of `target`: its own, else the default for its model id (resolved once, with the config). */
export function priceOf(target: ResolvedTarget): Price | undefined {
  return target.price;
}

/** Cost in US$ of `promptTokens` in and `completionTokens` out at `price`. */
export function costOf(price: Price, promptTokens: number, completionTokens: number): number {
  return (promptTokens * price.input + completionTokens * price.output) / 1_000_000;
}

/** A US$ amount as the `x-switchyard-cost-usd` header writes it: up to 8 decimals, no trailing zeros. */
export function formatUsd(usd: number): string {
  return usd.toFixed(8).replace(/0+$/, '').replace(/\.$/, '');
}
