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
 * | gpt-4.1-mini | 0.40 | 1.60 | OpenAI API pricing page; Azure OpenAI's global deployments list the same |
 * | gpt-4o | 2.50 | 10.00 | OpenAI API pricing page; Azure OpenAI global deployments |
 * | claude-haiku-4-5 | 1.00 | 5.00 | Anthropic pricing page; Bedrock and Vertex list the same for global endpoints |
 * | claude-opus-4-1 | 15.00 | 75.00 | Anthropic pricing page |
 * | gemini-2.5-pro | 1.25 | 10.00 | Gemini API pricing, prompts up to 200K tokens; Vertex AI lists the same |
 * | gemini-2.5-flash-lite | 0.10 | 0.40 | Gemini API pricing, text input |
 * | nova-pro | 0.80 | 3.20 | Amazon Bedrock pricing, on-demand, us-east-1 |
 * | nova-lite | 0.06 | 0.24 | Amazon Bedrock pricing, on-demand, us-east-1 |
 * | nova-micro | 0.035 | 0.14 | Amazon Bedrock pricing, on-demand, us-east-1 |
 *
 * Cloud ids are priced as their family (see {@link defaultPrice}): Bedrock's
 * `us.anthropic.claude-sonnet-4-5-20250929-v1:0` and Vertex's `claude-sonnet-4-5@20250929`
 * are `claude-sonnet-4-5`. The clouds charge some regional (non-global) endpoints about 10%
 * more; set `price` on such targets.
 */
export const DEFAULT_PRICES: Readonly<Record<string, Price>> = {
  'gpt-4.1': { input: 2.0, output: 8.0 },
  'claude-sonnet-4.5': { input: 3.0, output: 15.0 },
  'claude-sonnet-4-5': { input: 3.0, output: 15.0 },
  'gemini-2.5-flash': { input: 0.3, output: 2.5 },
  'deepseek-v3.2': { input: 0.28, output: 0.42 },
  'moonshot-v1-128k': { input: 1.2, output: 1.2 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4o': { input: 2.5, output: 10.0 },
  'claude-haiku-4-5': { input: 1.0, output: 5.0 },
  'claude-opus-4-1': { input: 15.0, output: 75.0 },
  'gemini-2.5-pro': { input: 1.25, output: 10.0 },
  'gemini-2.5-flash-lite': { input: 0.1, output: 0.4 },
  'nova-pro': { input: 0.8, output: 3.2 },
  'nova-lite': { input: 0.06, output: 0.24 },
  'nova-micro': { input: 0.035, output: 0.14 },
};

/**
 * The model's id without a cloud's decorations: an ARN's prefix, Bedrock's geography
 * (`us.`, `global.`) and vendor (`anthropic.`) prefixes and version suffix (`-v1:0`), and
 * Vertex's `@date` (kept as a dated snapshot).
 */
export function familyOf(model: string): string {
  return model
    .replace(/^arn:aws[\w-]*:bedrock:[^/]*\//, '')
    .replace(/^(?:us|eu|apac|jp|au|ca|us-gov|global)\./, '')
    .replace(/^(?:anthropic|amazon|meta|mistral|cohere|ai21|deepseek|openai|qwen)\./, '')
    .replace(/-v\d+(?::\d+)?$/, '')
    .replace(/@(\d{8})$/, '-$1')
    .replace(/@[\w.-]*$/, '');
}

/** The default price of a model id (dated snapshots included), or undefined. */
export function defaultPrice(model: string): Price | undefined {
  const exact = DEFAULT_PRICES[model];
  if (exact) return exact;
  const family = familyOf(model);
  if (family !== model) return defaultPrice(family);
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
