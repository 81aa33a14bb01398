/**
 * @module
 * The host's hooks and the built-in guardrails, bound to one request: each call runs
 * under `hooksTimeoutMs` with a signal that aborts with the client, and turns a throw or
 * an overrun into `hook_failed`. The engine calls them at fixed points: `beforeRequest`
 * after validation, `beforeAttempt` in the target pipeline (once per attempt),
 * `afterResponse` on the answer, `onChunk` on each stream event, `onError` on the error.
 */
import type { ResolvedConfig, ResolvedTarget } from '../config/resolved.js';
import { HookFailedError, PiiDetectedError, RequestRejectedError, type SwitchyardError } from '../errors/index.js';
import { formats, type ClientFormat, type FormatName } from '../formats/index.js';
import { maskJson, type PiiKind } from '../hooks/pii.js';
import { runHook } from '../hooks/run.js';
import { guardStream } from '../hooks/stream.js';
import type { BeforeAttemptResult, HookAttempt, HookContext, HookTarget } from '../hooks/types.js';
import { toErrorResponse } from '../errors/index.js';
import type { ClientStream } from '../stream/client-stream.js';
import { frame } from '../stream/sse.js';

type Base = Omit<HookContext, 'signal'>;

const targetOf = (t: ResolvedTarget): HookTarget => ({ provider: t.provider.name, model: t.model });

/** Masks (or blocks) personal data in a JSON value of `where`, in place. Throws `pii_detected` in block mode. */
function guardJson(value: unknown, pii: { mode: 'mask' | 'block'; kinds: ReadonlySet<PiiKind> }, where: 'request' | 'answer'): void {
  const found = maskJson(value, pii.kinds);
  if (pii.mode === 'block' && found.size > 0) throw new PiiDetectedError([...found], where);
}

export class RequestHooks {
  private base: Base;

  constructor(
    private readonly config: ResolvedConfig,
    base: Base,
    private readonly signal: AbortSignal,
  ) {
    this.base = base;
  }

  /** Whether anything would run for a stream (so plain streams pay nothing). */
  get watchesStream(): boolean {
    const hooks = this.config.hooks;
    return hooks?.onChunk !== undefined || hooks?.afterResponse !== undefined || hooks?.onError !== undefined || this.config.pii?.output === true;
  }

  private run<T>(name: string, fn: (ctx: HookContext) => T | Promise<T>): Promise<T> {
    return runHook(name, this.config.hooksTimeoutMs, this.signal, this.base, fn);
  }

  /**
   * The host's `beforeRequest`, then the input guardrail. Resolves with a new body when
   * either changed it, and the narrower chain the host asked for; throws its rejection.
   */
  async beforeRequest(): Promise<{ body?: Record<string, unknown>; models?: string[] }> {
    const out: { body?: Record<string, unknown>; models?: string[] } = {};
    const hook = this.config.hooks?.beforeRequest;
    if (hook) {
      const result = await this.run('beforeRequest', (ctx) => hook(ctx));
      if (result && 'reject' in result) throw new RequestRejectedError(result.reject.message, result.reject.status ?? 400, result.reject.code);
      if (result && 'body' in result) out.body = result.body;
      if (result && 'models' in result) out.models = result.models;
    }
    const pii = this.config.pii;
    if (pii?.input) {
      const body = structuredClone(out.body ?? this.base.body);
      guardJson(body, pii, 'request');
      out.body = body;
    }
    if (out.body) this.base = { ...this.base, body: out.body };
    return out;
  }

  /** The host's `beforeAttempt` for one attempt on `target` (`attempt.body`: what it would get). */
  async beforeAttempt(target: ResolvedTarget, attempt: Omit<HookAttempt, 'provider' | 'model'>): Promise<BeforeAttemptResult> {
    const hook = this.config.hooks?.beforeAttempt;
    if (!hook) return undefined;
    const result = await this.run('beforeAttempt', (ctx) => hook(ctx, { ...targetOf(target), ...attempt }));
    if (result && 'body' in result && (result.body === null || typeof result.body !== 'object')) throw new HookFailedError('beforeAttempt', 'returned a `body` that is not an object');
    return result;
  }

  /** Whether the pipeline must ask before each attempt. */
  get beforeEachAttempt(): boolean {
    return this.config.hooks?.beforeAttempt !== undefined;
  }

  /** A JSON answer through the output guardrail and the host's `afterResponse`; resolves with the bytes to send. */
  async afterResponse(answer: Buffer, target: ResolvedTarget): Promise<Buffer> {
    const hook = this.config.hooks?.afterResponse;
    const pii = this.config.pii?.output ? this.config.pii : undefined;
    if (!hook && !pii) return answer;
    let body = JSON.parse(answer.toString('utf8')) as Record<string, unknown>;
    if (pii) guardJson(body, pii, 'answer');
    if (hook) {
      const result = await this.run('afterResponse', (ctx) => hook(ctx, { stream: false, body, target: targetOf(target) }));
      if (result && 'reject' in result) throw new RequestRejectedError(result.reject.message, result.reject.status ?? 400, result.reject.code);
      if (result && 'body' in result) body = result.body;
    }
    return Buffer.from(JSON.stringify(body));
  }

  /** A stream under `onChunk` and the output guardrail; `afterResponse` sees its end. */
  guardStream(stream: ClientStream, format: FormatName, target: ResolvedTarget): ClientStream {
    if (!this.watchesStream) return stream;
    const hooks = this.config.hooks;
    const pii = this.config.pii?.output ? this.config.pii : undefined;
    return guardStream(stream, {
      format,
      pii,
      onChunk: hooks?.onChunk ? (event) => this.run('onChunk', (ctx) => hooks.onChunk!(ctx, event)) : undefined,
      errorFrames: (err) => errorFrames(format, err),
      onEnd: (text, toolCalls, failure) => {
        if (failure) this.onError(failure);
        // Observed only: the answer has been sent. A failing hook cannot undo it.
        const after = hooks?.afterResponse;
        if (after) this.run('afterResponse', (ctx) => after(ctx, { stream: true, text, toolCalls, target: targetOf(target) })).catch(() => {});
      },
    });
  }

  /** The host's `onError`, observed: never awaited by the request, never thrown. */
  onError(error: unknown): void {
    const hook = this.config.hooks?.onError;
    if (hook) this.run('onError', (ctx) => hook(ctx, error)).catch(() => {});
  }
}

/** The error event that ends a stream, in `format`. */
function errorFrames(format: FormatName, err: SwitchyardError): string[] {
  if (format === 'chat' || format === 'embeddings') return [frame(JSON.stringify(toErrorResponse(err).body)), frame('[DONE]')];
  return (formats[format] as ClientFormat).fromChatStream({ request: {}, model: '' }).error(err);
}
