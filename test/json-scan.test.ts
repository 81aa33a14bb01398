/**
 * The allocation-free JSON reader (`src/json/scan.ts`) against `JSON.parse` and
 * `JSON.stringify`: whatever it accepts, `JSON.parse` accepts as an object; whatever it
 * calls canonical, `JSON.stringify(JSON.parse(text))` gives back byte for byte; and the
 * members it records are the ones `JSON.parse` sees.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARRAY, NULL, OBJECT, STRING, member, scanJson } from '../src/json/scan.js';

const enc = new TextEncoder();

function parses(text: string): boolean {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** The reader's verdict on `text`, checked against JSON.parse / JSON.stringify. */
function check(text: string): void {
  const buf = Buffer.from(text, 'utf8');
  const scan = scanJson(buf);
  if (!scan) return;
  expect(parses(text), `accepted what JSON.parse refuses: ${text}`).toBe(true);
  const parsed = JSON.parse(text) as Record<string, unknown>;
  if (scan.canonical) expect(JSON.stringify(parsed), `called canonical: ${text}`).toBe(text);
  if (!scan.escapedKey) {
    const names = new Set<string>();
    for (let m = 0; m < scan.count; m++) names.add(buf.subarray(scan.keyStart[m]!, scan.keyEnd[m]!).toString('utf8'));
    expect([...names].sort()).toEqual(Object.keys(parsed).sort());
    for (const name of names) {
      const m = member(scan, buf, enc.encode(name));
      expect(JSON.parse(buf.subarray(scan.valueStart[m]!, scan.valueEnd[m]!).toString('utf8'))).toEqual(parsed[name]);
    }
  }
}

const json = fc.jsonValue({ maxDepth: 4 });
const objects = fc.dictionary(fc.string(), json, { maxKeys: 6 });

describe('scanJson', () => {
  it('reads every JSON.stringify output as canonical, with its members', () => {
    fc.assert(
      fc.property(objects, (o) => {
        const text = JSON.stringify(o);
        const scan = scanJson(Buffer.from(text));
        // Integer-like keys are the one thing JSON.stringify reorders: those are not canonical.
        const integerKey = /"\d+":/.test(text);
        if (!integerKey) {
          expect(scan?.canonical, text).toBe(true);
        }
        check(text);
      }),
      { numRuns: 2_000 },
    );
  });

  it('never accepts what JSON.parse refuses, nor calls a text canonical that is not (mutated texts)', () => {
    const mutate = fc.tuple(objects, fc.nat(), fc.constantFrom(' ', '\n', '\\', '"', ',', '}', ']', '0', '-', '.', 'e', '\\u00e9', '\\/', 'null', '{', '[', '\u00e9', '\\u001F', '\\u001f', '1.50', '-0', '1e2'));
    fc.assert(
      fc.property(mutate, fc.boolean(), ([o, at, piece], replace) => {
        const text = JSON.stringify(o);
        const k = at % (text.length + 1);
        check(text.slice(0, k) + piece + text.slice(replace ? k + 1 : k));
      }),
      { numRuns: 5_000 },
    );
  });

  it('tells canonical from merely valid', () => {
    const canonical = (t: string) => scanJson(Buffer.from(t))?.canonical;
    expect(canonical('{"a":1,"b":[true,false,null],"c":{"d":"e\\n\\"\\\\\\u001f"}}')).toBe(true);
    expect(canonical('{"a": 1}')).toBe(false);
    expect(canonical('{"a":"\\/"}')).toBe(false);
    expect(canonical('{"a":"\\u00e9"}')).toBe(false);
    expect(canonical('{"a":"\\u001F"}')).toBe(false);
    expect(canonical('{"a":1.50}')).toBe(false);
    expect(canonical('{"a":1.5}')).toBe(true);
    expect(canonical('{"a":-0}')).toBe(false);
    expect(canonical('{"a":1e2}')).toBe(false);
    expect(canonical('{"a":12345678901234567890}')).toBe(false);
    expect(canonical('{"a":1,"a":2}')).toBe(false);
    expect(canonical('{"b":{"a":1,"a":2}}')).toBe(false);
    expect(canonical('{"a":{"x":1},"b":{"x":1}}')).toBe(true);
    expect(canonical('{"1":1}')).toBe(false);
    expect(scanJson(Buffer.from('[1]'))).toBeUndefined();
    expect(scanJson(Buffer.from('{"a":01}'))).toBeUndefined();
    expect(scanJson(Buffer.from('{"a":"\u0001"}'))).toBeUndefined();
    expect(scanJson(Buffer.from('{"a":1}x'))).toBeUndefined();
  });

  it('records the elements of the top-level choices and their finish reasons', () => {
    const text = '{"id":"x","choices":[{"index":0,"delta":{"finish_reason":"no"},"finish_reason":null},{"finish_reason":"stop"},3,{}],"usage":null}';
    const buf = Buffer.from(text);
    const scan = scanJson(buf)!;
    expect(scan.choices).toBe(4);
    expect([...scan.choiceKind.subarray(0, 4)]).toEqual([OBJECT, OBJECT, 4, OBJECT]);
    expect([...scan.finishKind.subarray(0, 4)]).toEqual([NULL, STRING, 0, 0]);
    expect(buf.subarray(scan.finishStart[1]!, scan.finishEnd[1]!).toString()).toBe('"stop"');
    expect(scan.kind[member(scan, buf, enc.encode('choices'))]).toBe(ARRAY);
    expect(scan.kind[member(scan, buf, enc.encode('usage'))]).toBe(NULL);
    // A later `choices` that is not an array replaces the first, as JSON.parse keeps the last.
    expect(scanJson(Buffer.from('{"choices":[{}],"choices":1}'))!.choices).toBe(-1);
  });
});

describe('jsonLength', () => {
  it('is JSON.stringify(value).length without the string, for any value', async () => {
    const { jsonLength } = await import('../src/json/json-length.js');
    const exact = (v: unknown) => {
      try {
        return JSON.stringify(v)?.length ?? 0;
      } catch {
        return 0;
      }
    };
    fc.assert(
      fc.property(fc.anything({ withBoxedValues: true, withMap: true, withDate: true, withTypedArray: true, withNullPrototype: true, withSparseArray: true }), (v) => {
        expect(jsonLength(v)).toBe(exact(v));
      }),
      { numRuns: 3_000 },
    );
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'grapheme' }), (v, s) => {
        const value = [v, s, '\ud800', { [s]: s }];
        expect(jsonLength(value)).toBe(exact(value));
      }),
      { numRuns: 2_000 },
    );
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(jsonLength(deep)).toBe(0);
    expect(jsonLength({ a: undefined, b: () => 1, c: [undefined, () => 1] })).toBe(exact({ a: undefined, b: () => 1, c: [undefined, () => 1] }));
  });
});
