/**
 * @module
 * Stream resume: after a stream broke mid-answer, the rest of the chain (never a target
 * that already broke this stream) is asked to continue from the text already delivered.
 * A target marked `prefill: true` gets the delivered text as the last (assistant)
 * message and continues it as its own words; the others get it as an assistant turn plus
 * an instruction to go on. The continuation runs through the same chain and target
 * pipeline as any attempt (breakers, limits, budgets, accounting), with a deadline of its
 * own; the client's disconnect still aborts it. What the continuation repeats is dropped
 * on the stream side (`stream/splice.ts`).
 */
import type { ResolvedTarget } from '../config.js';
import { DeadlineExceededError } from '../errors/index.js';
import { abortAfter, linkedController } from '../policy/timeout.js';
import type { ChatBody } from '../providers/provider.js';
import type { StreamSegment } from '../stream/relay-stream.js';
import { runChain } from './chain.js';
import type { ChainRequest, EngineRuntime } from './runtime.js';

/** What a continuation request asks of a target that is not resumed by prefill. */
export const RESUME_PROMPT =
  'Your previous answer was cut off. Continue it exactly where it stopped, without repeating anything and without any preamble.';

/** The continuation body for `target`. */
export function continuation(body: ChatBody, delivered: string, target: ResolvedTarget): ChatBody {
  const assistant = { role: 'assistant', content: delivered };
  const messages = target.prefill ? [...body.messages, assistant] : [...body.messages, assistant, { role: 'user', content: RESUME_PROMPT }];
  return { ...body, messages };
}

/**
 * Runs the continuation on the targets of `req.model` that have not broken this stream
 * (`broken`, by `provider/model`). Resolves with the new segment, or throws.
 */
export async function resume(rt: EngineRuntime, req: ChainRequest, delivered: string, broken: readonly ResolvedTarget[]): Promise<StreamSegment> {
  const ids = new Set(broken.map((t) => t.id));
  const targets = req.model.targets.filter((t) => !ids.has(t.id));
  if (targets.length === 0) throw new Error('no other target to resume on');
  const own = linkedController(req.signal);
  const { totalMs, now } = rt.config;
  const clearDeadline = abortAfter(own.controller, totalMs, () => new DeadlineExceededError(totalMs));
  try {
    const success = await runChain(rt, {
      ...req,
      model: { ...req.model, targets, hedge: undefined, waitForRecoveryMs: 0 },
      body: req.body as ChatBody,
      bodyFor: (target) => continuation(req.body as ChatBody, delivered, target),
      stream: true,
      resume: true,
      signal: own.signal,
      deadlineAt: now() + totalMs,
    });
    if (!success.stream || success.native) throw new Error('unreachable: a resumed stream produced a JSON body or a native stream');
    const dispose = success.committed.dispose;
    success.committed.dispose = () => {
      dispose?.();
      own.dispose();
    };
    return { committed: success.committed, target: success.target };
  } catch (err) {
    own.dispose();
    throw err;
  } finally {
    clearDeadline();
  }
}
