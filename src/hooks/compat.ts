/**
 * @module
 * Parameter compatibility: what each model family accepts, so a fallback is not sent
 * parameters its model refuses (`compat: { dropUnsupported: true }`, on by default).
 * The table covers OpenAI's reasoning models (o1, o3, o4-mini, gpt-5 and their variants:
 * `max_completion_tokens` instead of `max_tokens`, and no sampling parameters, which they
 * answer with 400 `unsupported_parameter`/`unsupported_value`), Claude 4.1 and later
 * (`temperature` or `top_p`, not both) and DeepSeek's reasoner (no log probabilities).
 * Other requirements are met by the translations themselves (Anthropic's `max_tokens`
 * always set, fields a provider has no use for dropped, fields whose loss a client would
 * notice refused with a 400 naming them). A target's `params` (`{ drop, set, rename }`) covers models the table does
 * not know and wins over it. What changed is recorded on the attempt.
 */
import type { ResolvedTarget } from '../config/resolved.js';
import type { ChatBody } from '../providers/provider.js';

export type { ParamRules } from './param-rules.js';

/** OpenAI's reasoning models, on OpenAI-compatible provider types. */
const REASONING = /^(o\d(-mini|-pro)?|gpt-5)/i;

/** Claude models from 4.1 on (Anthropic, Bedrock and Vertex ids): `temperature` and `top_p` not both. */
const CLAUDE_ONE_SAMPLER = /claude-(?:opus|sonnet|haiku)-4-[1-9]|claude-(?:opus|sonnet|haiku)-4\.[1-9]/i;

/** DeepSeek's reasoner: log probabilities are an error (sampling fields are ignored, so they stay). */
const DEEPSEEK_REASONER = /deepseek-reasoner/i;

/** Sampling parameters OpenAI's reasoning models refuse. */
const REASONING_REFUSE = ['temperature', 'top_p', 'presence_penalty', 'frequency_penalty', 'logprobs', 'top_logprobs', 'logit_bias'] as const;

function rename(body: Record<string, unknown>, from: string, to: string, changes: string[]): void {
  if (!(from in body)) return;
  if (!(to in body)) body[to] = body[from];
  delete body[from];
  changes.push(`${from}→${to}`);
}

function drop(body: Record<string, unknown>, field: string, changes: string[]): void {
  if (!(field in body)) return;
  delete body[field];
  changes.push(`-${field}`);
}

/**
 * The chat body adapted for `target`: the family table when `table` is on, then the
 * target's own `params`. Returns the same body (and no changes) when nothing applies.
 */
export function adaptParams(body: ChatBody, target: ResolvedTarget, table: boolean): { body: ChatBody; changes: string[] } {
  const type = target.provider.type;
  const reasoning = table && (type === 'openai' || type === 'azure-openai') && REASONING.test(target.model);
  const claude = table && (type === 'anthropic' || type === 'bedrock' || type === 'vertex') && CLAUDE_ONE_SAMPLER.test(target.model) && body.temperature !== undefined && body.top_p !== undefined;
  const deepseek = table && type === 'openai' && DEEPSEEK_REASONER.test(target.model);
  const own = target.params;
  if (!reasoning && !claude && !deepseek && !own) return { body, changes: [] };
  const out: Record<string, unknown> = { ...body };
  const changes: string[] = [];
  if (reasoning) {
    rename(out, 'max_tokens', 'max_completion_tokens', changes);
    for (const field of REASONING_REFUSE) drop(out, field, changes);
  }
  // Claude 4.1+ answers 400 to both; the client's temperature is the one kept.
  if (claude) drop(out, 'top_p', changes);
  if (deepseek) for (const field of ['logprobs', 'top_logprobs']) drop(out, field, changes);
  if (own) {
    for (const [from, to] of Object.entries(own.rename ?? {})) rename(out, from, to, changes);
    for (const field of own.drop ?? []) drop(out, field, changes);
    for (const [field, value] of Object.entries(own.set ?? {})) {
      out[field] = value;
      changes.push(`=${field}`);
    }
  }
  return changes.length > 0 ? { body: out as ChatBody, changes } : { body, changes };
}
