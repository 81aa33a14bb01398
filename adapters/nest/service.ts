/**
 * @module
 * The relay for host code that is not behind the relay's route: a completion as a
 * Promise, a stream as an rxjs Observable whose teardown aborts the upstream, and
 * embeddings.
 */
import { Inject, Injectable } from '@nestjs/common';
import { Observable } from 'rxjs';
import { Relay, type CallOptions, type ChatCompletion, type ChatCompletionChunk, type EmbeddingList } from 'switchyard';

/**
 * Injectable access to the relay's failover chains.
 *
 * @example
 * ```ts
 * constructor(@Inject(SwitchyardService) private readonly llm: SwitchyardService) {}
 * const reply = await this.llm.chat({ model: 'gpt-4.1', messages });
 * ```
 */
@Injectable()
export class SwitchyardService {
  constructor(@Inject(Relay) readonly relay: Relay) {}

  /** A non-streaming completion; rejects with a `SwitchyardError` when every target failed. */
  chat(body: Record<string, unknown>, options: CallOptions = {}): Promise<ChatCompletion> {
    return this.relay.chat(body, options);
  }

  /** Embeddings, with the same failover as completions. */
  embeddings(body: Record<string, unknown>, options: CallOptions = {}): Promise<EmbeddingList> {
    return this.relay.embeddings(body, options);
  }

  /**
   * A streaming completion as an Observable of chunks. It is cold: each subscription runs
   * one request. Unsubscribing aborts the upstream request, whether it is still failing
   * over or already streaming; a stream that breaks after it started errors with a
   * `StreamInterruptedError`.
   *
   * @example
   * ```ts
   * this.llm.stream({ model: 'gpt-4.1', messages }).pipe(map((c) => c.choices[0]?.delta?.content ?? ''))
   * ```
   */
  stream(body: Record<string, unknown>, options: Pick<CallOptions, 'requestId'> = {}): Observable<ChatCompletionChunk> {
    return new Observable<ChatCompletionChunk>((subscriber) => {
      const controller = new AbortController();
      void (async () => {
        let chunks: AsyncIterableIterator<ChatCompletionChunk> | undefined;
        try {
          chunks = await this.relay.stream(body, { ...options, signal: controller.signal });
          while (!subscriber.closed) {
            const next = await chunks.next();
            if (next.done) return subscriber.complete();
            subscriber.next(next.value);
          }
        } catch (err) {
          subscriber.error(err);
        } finally {
          // Releases the upstream when the subscriber left; a no-op after a finished stream.
          await chunks?.return?.();
        }
      })();
      // Teardown aborts whatever is in flight: the failover chain or the started stream.
      return () => controller.abort();
    });
  }
}
