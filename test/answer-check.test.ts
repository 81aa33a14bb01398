/**
 * An OpenAI-compatible JSON answer is checked without a full parse
 * (`providers/openai.ts`, `json/scan.ts`): for any answer, `completion` and `embeddings`
 * return what checking the parsed JSON returned (the same bytes, usage and info), and
 * refuse what it refused, with the same error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openaiProvider } from '../src/providers/openai.js';
import { BadResponse, infoOf, usageOf } from '../src/providers/provider.js';

/** The check as it was, parsing the whole answer. */
function reference(raw: Buffer, field: 'choices' | 'data') {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    return { error: 'upstream sent a body that is not JSON' };
  }
  const error = (parsed as { error?: unknown } | null)?.error;
  if (error !== undefined && error !== null && (typeof error === 'string' || typeof error === 'object')) {
    return { error: typeof error === 'string' ? error : typeof (error as { message?: unknown }).message === 'string' ? (error as { message: string }).message : 'upstream error' };
  }
  if (!Array.isArray((parsed as Record<string, unknown> | null)?.[field])) return { error: `upstream sent an answer without \`${field}\`` };
  return { body: raw.toString('latin1'), usage: usageOf(parsed), info: field === 'choices' ? infoOf(parsed) : undefined };
}

function actual(raw: Buffer, field: 'choices' | 'data') {
  try {
    const a = field === 'choices' ? openaiProvider.completion(raw) : openaiProvider.embeddings!(raw);
    return { body: a.body.toString('latin1'), usage: a.usage, info: a.info };
  } catch (err) {
    if (!(err instanceof BadResponse)) throw err;
    return { error: err.message };
  }
}

const value = fc.jsonValue({ maxDepth: 2 });
const choice = fc.oneof(
  fc.record({ index: fc.nat(), message: fc.record({ role: fc.constant('assistant'), content: fc.string() }), finish_reason: fc.oneof(fc.constantFrom('stop', 'length', null), value) }),
  value,
);
const answer = fc.record(
  {
    id: fc.oneof(fc.string(), value),
    model: fc.oneof(fc.string(), value),
    choices: fc.oneof(fc.array(choice, { maxLength: 3 }), value),
    data: fc.oneof(fc.array(value, { maxLength: 2 }), value),
    usage: fc.oneof(fc.record({ prompt_tokens: fc.nat(), completion_tokens: fc.nat() }), value),
    error: fc.oneof(fc.constant(null), fc.record({ message: fc.string() }), fc.string(), value),
  },
  { requiredKeys: [] },
);

describe('JSON answers checked without a full parse', () => {
  it('return and refuse what checking the parsed answer did', () => {
    fc.assert(
      fc.property(answer, fc.boolean(), fc.constantFrom(0, 1, 2), (a, pretty, dup) => {
        let text = JSON.stringify(a, null, pretty ? 1 : undefined);
        // A repeated member: JSON.parse keeps the last.
        if (dup === 1 && text.length > 2) text = `{"choices":[],"usage":{"prompt_tokens":1},${text.slice(1)}`;
        if (dup === 2 && text.length > 2) text = `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}"choices":{"x":1}}`;
        const raw = Buffer.from(text);
        for (const field of ['choices', 'data'] as const) expect(actual(raw, field)).toEqual(reference(raw, field));
      }),
      { numRuns: 3_000 },
    );
  });

  it('refuses what is not JSON and repairs bytes that are not UTF-8', () => {
    expect(actual(Buffer.from('{"choices":[]'), 'choices')).toEqual({ error: 'upstream sent a body that is not JSON' });
    const bad = Buffer.concat([Buffer.from('{"choices":[],"x":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    expect(actual(bad, 'choices').body).toBe(Buffer.from('{"choices":[],"x":"\ufffd"}').toString('latin1'));
  });
});
