/**
 * The recorded provider answers (test/fixtures/provider-streams, Apache-2.0, from the
 * Vercel AI SDK) as chat sources for the format servers: OpenAI-format recordings as
 * they are, Anthropic ones through the relay's own Anthropic translation, so every
 * format is fed the chat the engine would really produce.
 */
import { readFileSync } from 'node:fs';
import { anthropicCompletion, recorded, type ChatSource } from './formats.js';

const dir = new URL('../fixtures/provider-streams/', import.meta.url);

/** What an OpenAI chat client must end up with (`*.expected.json`). */
export interface ChatExpected {
  text: string;
  tool_calls: { id: string; name: string; arguments: string }[];
  finish_reason: string;
  usage: { prompt_tokens: number; completion_tokens: number } | null;
  _info?: { reasoning?: string };
}

export interface Recording {
  file: string;
  kind: 'openai-sse' | 'openai-json' | 'anthropic-sse' | 'anthropic-json';
  stream: boolean;
  expected: ChatExpected;
  /** The chat answer the engine would give for this recording. */
  source: ChatSource;
}

/** Every recording of the manifest. */
export function providerRecordings(): Recording[] {
  const manifest: { file: string; kind: Recording['kind']; expected: string }[] = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8'));
  return manifest.map((entry) => {
    const bytes = readFileSync(new URL(entry.file, dir));
    const expected = JSON.parse(readFileSync(new URL(entry.expected, dir), 'utf8')) as ChatExpected;
    const stream = entry.kind.endsWith('-sse');
    const anthropic = entry.kind.startsWith('anthropic');
    const source = stream
      ? recorded({ stream: bytes, anthropic })
      : recorded({ json: anthropic ? anthropicCompletion(bytes) : JSON.parse(bytes.toString('utf8')) });
    return { file: entry.file, kind: entry.kind, stream, expected, source };
  });
}

/** Compares tool arguments as JSON: streamed ones keep the model's spacing. */
export function parsedCalls(calls: { name: string; arguments: string }[]): { name: string; arguments: unknown }[] {
  return calls.map((c) => ({ name: c.name, arguments: JSON.parse(c.arguments === '' ? '{}' : c.arguments) }));
}
