/**
 * The redactor on its own: which values are secrets, what each kind of text gets
 * (answers: the secrets by value; messages: key-shaped text too, and the start of a
 * secret left at a cut), live lists that rotate, and the stream guard, whose output for
 * any cutting of any text (fast-check) never holds four characters of the start of a
 * secret and, without secrets in it, is the text itself.
 */
import fc from 'fast-check';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { LiveSecrets } from '../src/auth/secrets.js';
import { resolveConfig } from '../src/config.js';
import { record } from '../src/engine/records.js';
import { createRelay } from '../src/relay/relay.js';
import { Redactor } from '../src/secrets/redactor.js';
import { headerSecrets, isCredentialHeader, secretsOfValue } from '../src/secrets/slots.js';
import { HOLD } from '../src/secrets/stream-guard.js';

const KEY = 'sk-proj-Zq8mW3nT5vK2pX9rL4cB7dF1';
const TOKEN = 'ya29.a0AfH6SMBx7qL2kP9wZ3mN5vT8';
/** A secret no key shape matches: only the redactor's knowledge of it can catch it. */
const PASS = 'gateway-pass-Zq8mW3nT5vK2pX9rL4cB7dF1';

function redactor(...values: string[]): Redactor {
  const r = new Redactor();
  r.add(...values);
  return r;
}

describe('what counts as a secret', () => {
  it('headers named like credentials, and those marked secret', () => {
    for (const name of ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'cookie', 'x-amz-security-token', 'proxy-authorization', 'x-session-id', 'x-client-secret', 'x-db-password']) {
      expect(isCredentialHeader(name), name).toBe(true);
    }
    for (const name of ['content-type', 'anthropic-version', 'openai-organization', 'x-tenant', 'accept']) expect(isCredentialHeader(name), name).toBe(false);
    const headers = { 'x-tenant': 'tenant-acme-0001', 'x-gateway': 'gateway-pass-0001', 'x-api-key': 'api-key-value-0001', 'content-type': 'application/json' };
    expect(headerSecrets(headers).sort()).toEqual(['api-key-value-0001']);
    expect(headerSecrets(headers, ['X-Gateway']).sort()).toEqual(['api-key-value-0001', 'gateway-pass-0001']);
  });

  it('the credential inside a value: a bearer token, a basic password, each cookie', () => {
    expect(secretsOfValue('authorization', `Bearer ${TOKEN}`)).toEqual([`Bearer ${TOKEN}`, TOKEN]);
    const basic = Buffer.from('relay-user:hunter2-very-secret').toString('base64');
    expect(secretsOfValue('authorization', `Basic ${basic}`)).toEqual(expect.arrayContaining(['relay-user:hunter2-very-secret', 'hunter2-very-secret']));
    expect(secretsOfValue('cookie', 'session=abcdef0123456789; theme=dark')).toEqual(expect.arrayContaining(['abcdef0123456789', 'dark']));
  });

  it('a provider config: its key, credential headers, marked headers; secretHeaders checked with the field named', () => {
    const config = resolveConfig({
      providers: {
        p: { type: 'openai', baseURL: 'http://127.0.0.1:1/v1', apiKey: KEY, headers: { 'x-relay-key': 'relay-key-0123456789', 'X-Pass': 'marked-value-0123456789', 'x-tenant': 'tenant-acme-0123' }, secretHeaders: ['x-pass'] },
      },
      models: { m: { targets: [{ provider: 'p', model: 'x' }] } },
    });
    const text = `${KEY} relay-key-0123456789 marked-value-0123456789 tenant-acme-0123`;
    expect(config.redactor.text(text)).toBe('[redacted] [redacted] [redacted] tenant-acme-0123');
    const bad = (secretHeaders: unknown) => () =>
      resolveConfig({ providers: { p: { type: 'openai', baseURL: 'http://127.0.0.1:1/v1', headers: { 'x-pass': 'v' }, secretHeaders } as never }, models: { m: { targets: [{ provider: 'p', model: 'x' }] } } });
    expect(bad('x-pass')).toThrow(/^providers\.p\.secretHeaders: expected an array of header names/);
    expect(bad(['x-pass', 3])).toThrow(/^providers\.p\.secretHeaders\[1\]: expected a header name/);
    // A value pasted here by mistake is not quoted back.
    expect(bad(['x-pass', KEY])).toThrow(/^providers\.p\.secretHeaders\[1\]: names no header of providers\.p\.headers$/);
  });
});

describe('Redactor', () => {
  it('answers: every secret by value, longest first, JSON-escaped forms too; short values never', () => {
    const r = redactor(KEY, `${KEY}-extended-part`, 'pa"ss\\word-123', 'short');
    expect(r.text(`a ${KEY}-extended-part b ${KEY} c`)).toBe('a [redacted] b [redacted] c');
    expect(r.text(JSON.stringify({ v: 'pa"ss\\word-123' }))).toBe('{"v":"[redacted]"}');
    expect(r.text('short stays')).toBe('short stays');
    // Key-shaped text in an answer is the model's business: only known secrets go.
    expect(r.text('export OPENAI_API_KEY=sk-abcdefghijklmnop')).toBe('export OPENAI_API_KEY=sk-abcdefghijklmnop');
  });

  it('answers: a SigV4 signature in an echoed authorization header', () => {
    const sig = 'a'.repeat(64);
    expect(redactor().text(`Credential=AKIAEXAMPLE/x, Signature=${sig}`)).toBe('Credential=AKIAEXAMPLE/x, Signature=[redacted]');
  });

  it('bytes: the same buffer when clean, redacted when not', () => {
    const r = redactor(KEY);
    const clean = Buffer.from('{"ok":true}');
    expect(r.buffer(clean)).toBe(clean);
    expect(r.buffer(Buffer.from(`{"k":"${KEY}"}`)).toString()).toBe('{"k":"[redacted]"}');
  });

  it('messages: key-shaped text of anyone, AWS key ids and signatures, bearer tokens', () => {
    const r = redactor();
    expect(r.message('key sk-ant-api03-abcdefgh1234 and AKIAIOSFODNN7EXAMPLE and Bearer abc.def.ghijkl and ya29.c0AbCdEfGhIj')).toBe(
      'key [redacted] and [redacted] and Bearer [redacted] and [redacted]',
    );
    expect(r.message(`Signature=${'0f'.repeat(32)}`)).toBe('Signature=[redacted]');
  });

  it('messages: redacted before they are clipped, so a cut never splits a secret', () => {
    const r = redactor(PASS);
    const out = r.message(`${'x'.repeat(190)}${PASS}`, 200);
    expect(out).toBe(`${'x'.repeat(190)}[redacted]`);
    expect(out).not.toContain(PASS.slice(0, 8));
  });

  it('messages: the start of a secret left at the end (8 characters or more) goes, before an ellipsis too', () => {
    const r = redactor(PASS);
    expect(r.message(`quoted: ${PASS.slice(0, 20)}`)).toBe('quoted: [redacted]');
    expect(r.message(`quoted: ${PASS.slice(0, 12)}…`)).toBe('quoted: [redacted]…');
    expect(r.message(`quoted: ${PASS.slice(0, 12)}...`)).toBe('quoted: [redacted]...');
    // Shorter than 8: it says too little to keep out (and is in most texts).
    expect(r.message(`quoted: ${PASS.slice(0, 7)}`)).toBe(`quoted: ${PASS.slice(0, 7)}`);
  });

  it('a live list: values added later are redacted, values dropped later are not any more', () => {
    const live = new LiveSecrets(2);
    const r = new Redactor();
    r.add(live);
    expect(r.text(`t ${TOKEN}`)).toBe(`t ${TOKEN}`);
    live.add(TOKEN);
    expect(r.text(`t ${TOKEN}`)).toBe('t [redacted]');
    live.add('rotated-token-0001', 'rotated-token-0002');
    expect(r.text(`t ${TOKEN} rotated-token-0002`)).toBe(`t ${TOKEN} [redacted]`);
  });

  it('says how many secrets it holds, never which', () => {
    const r = redactor(KEY, TOKEN);
    for (const printed of [inspect(r), inspect(r, { showHidden: true, customInspect: false, depth: Infinity }), JSON.stringify(r)]) {
      expect(printed).not.toContain(KEY);
      expect(printed).not.toContain(TOKEN);
    }
    expect(inspect(r)).toBe('Redactor { secrets: 2 }');
  });
});

describe('attempt records', () => {
  const target = (secret: string) => {
    const config = resolveConfig({ providers: { p: { type: 'openai', baseURL: 'http://127.0.0.1:1/v1', apiKey: secret } }, models: { m: { targets: [{ provider: 'p', model: 'x' }] } } });
    return config.models.get('m')!.targets[0]!;
  };

  it('redact detail and message before clipping them to 200 characters, and the start of a secret at the cut', () => {
    const t = target(PASS);
    const r = record(t, 'server', 1, 500, `HTTP 500 ${PASS}`, `${'x'.repeat(190)}${PASS} and more`);
    expect(r.detail).toBe('HTTP 500 [redacted]');
    expect(r.message).toBe(`${'x'.repeat(190)}[redacted]…`);
    // An upstream that cut its own echo: what is left of the key at the end goes.
    const cut = record(t, 'server', 1, 500, undefined, `${'y'.repeat(150)} ${PASS.slice(0, 30)}`);
    expect(cut.message).toBe(`${'y'.repeat(150)} [redacted]`);
  });
});

describe('the stream guard (fast-check)', () => {
  // Secrets from letters the filler never uses, so a match is never an accident.
  const secretArb = fc.string({ unit: fc.constantFrom(...'QXZJKV0123456789'), minLength: 8, maxLength: 40 });
  const fillerArb = fc.string({ unit: fc.constantFrom(...'abcdefghij ,.'), maxLength: 30 });

  /** Pushes `text` cut at `cuts` through a guard; returns what went out, and each piece sent. */
  function through(r: Redactor, text: string, cuts: number[]): { joined: string; sent: string[] } {
    const guard = r.stream();
    const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
    const sent: string[] = [];
    let at = 0;
    for (const p of [...points, text.length]) {
      sent.push(guard.push('0.content', text.slice(at, p)));
      at = p;
    }
    sent.push(guard.flush('0.content'));
    return { joined: sent.join(''), sent };
  }

  it('never lets four characters of the start of a secret out, however the text is cut', () => {
    fc.assert(
      fc.property(fc.array(secretArb, { minLength: 1, maxLength: 3 }), fc.array(fc.tuple(fillerArb, fc.nat(2)), { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 30 }), (secrets, parts, cuts) => {
        const r = redactor(...secrets);
        const text = parts.map(([filler, i]) => `${filler}${secrets[i % secrets.length]}`).join('');
        const { joined } = through(r, text, cuts);
        for (const s of secrets) expect(joined).not.toContain(s.slice(0, HOLD));
      }),
      { numRuns: 500 },
    );
  });

  it('changes nothing but the cuts when no secret is in the text', () => {
    fc.assert(
      fc.property(fc.array(secretArb, { minLength: 1, maxLength: 3 }), fillerArb, fc.array(fc.nat(), { maxLength: 30 }), (secrets, text, cuts) => {
        expect(through(redactor(...secrets), text, cuts).joined).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('holds back a tail that starts a secret, and sends it when it turns out not to be one', () => {
    const guard = redactor(KEY).stream();
    expect(guard.push('0.content', `hello ${KEY.slice(0, 6)}`)).toBe('hello ');
    expect(guard.push('0.content', `${KEY.slice(6)} bye`)).toBe('[redacted] bye');
    expect(guard.push('0.content', `and ${KEY.slice(0, 5)}`)).toBe('and ');
    expect(guard.push('0.content', 'nope')).toBe(`${KEY.slice(0, 5)}nope`);
    expect(guard.push('0.content', `x ${KEY.slice(0, 10)}`)).toBe('x ');
    // The lane ended inside a secret: what it held is the start of one, and goes.
    expect(guard.flush('0.content')).toBe('[redacted]');
  });
});

describe('config errors reported to the relay', () => {
  it('lose the secrets of the configuration in force before listeners see them', async () => {
    const relay = createRelay({ providers: { p: { type: 'openai', baseURL: 'http://127.0.0.1:1/v1', apiKey: PASS } }, models: { m: { targets: [{ provider: 'p', model: 'x' }] } } });
    const seen: unknown[] = [];
    relay.on('control', (e) => seen.push(e));
    relay.reportConfigError('/etc/switchyard.json', `providers.p.apiKey: ${PASS} was rotated`);
    await relay.close();
    expect(JSON.stringify(seen)).not.toContain(PASS);
    expect(seen).toMatchObject([{ action: 'configError', detail: { message: 'providers.p.apiKey: [redacted] was rotated' } }]);
  });
});
