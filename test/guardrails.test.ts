/**
 * The PII guardrail (`guardrails.pii`): personal data masked before a request leaves
 * (on every target a retry or fallback reaches) and in answers, across stream chunk
 * boundaries, on every client API; or refused with `pii_detected` naming the kinds and
 * never the values. And what the detector catches and misses on a sample of our own.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { findPii, type PiiKind, type RelayConfig } from 'switchyard';
import type { MockUpstreamOptions } from 'switchyard/testing';
import type { Harness } from './helpers/harness.js';
import { startThreeApis, type ThreeApis } from './helpers/three-apis.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function setup(pii: NonNullable<RelayConfig['guardrails']>['pii'], mock: MockUpstreamOptions = {}, extra: Partial<RelayConfig> = {}): Promise<ThreeApis> {
  const s = await startThreeApis({ guardrails: { pii }, ...extra }, mock);
  h = s;
  return s;
}

const openai = (url: string) => new OpenAI({ baseURL: url, apiKey: 'client-key', maxRetries: 0 });
const anthropic = (url: string) => new Anthropic({ baseURL: url.replace(/\/v1$/, ''), apiKey: 'client-key', maxRetries: 0 });

const PERSONAL = 'Mail jane.doe@example.com or call +44 20 7946 0958; card 4111 1111 1111 1111; IBAN GB82 WEST 1234 5698 7654 32; key sk-proj-abcdefghijklmnopqrstuvwxyz123456.';
const MASKED = 'Mail [email] or call [phone]; card [card]; IBAN [iban]; key [secret].';
const VALUES = ['jane.doe@example.com', '7946 0958', '4111 1111 1111 1111', 'GB82 WEST', 'sk-proj-abcdefghij'];

/** The error `p` rejects with (a resolved `p` fails the test). */
const rejection = <E>(p: Promise<unknown>): Promise<E> =>
  p.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (e: unknown) => e as E,
  );

async function chatText(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  return text;
}

describe('input, mask mode', () => {
  it('masks every kind before the request leaves, on every target a retry or fallback reaches', async () => {
    const s = await setup({ mode: 'mask', on: ['input'] });
    s.a.setFault({ status: 503 });
    await openai(s.url).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: PERSONAL }] });
    await openai(s.url).chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: [{ type: 'text', text: PERSONAL }] }] }).then(chatText);
    const sent = [...s.a.requests, ...s.b.requests];
    expect(sent).toHaveLength(6);
    for (const r of sent) {
      const content = r.body.messages[0].content;
      expect(typeof content === 'string' ? content : content[0].text).toBe(MASKED);
    }
  });

  it('masks a Responses client’s input and a Messages client’s (native) alike', async () => {
    const s = await setup({ mode: 'mask', on: ['input'] });
    await openai(s.url).responses.create({ model: 'm', input: PERSONAL, instructions: 'Write to jane.doe@example.com' });
    expect(s.a.requests.at(-1)!.body.messages).toEqual([
      { role: 'system', content: 'Write to [email]' },
      { role: 'user', content: MASKED },
    ]);
    await anthropic(s.url).messages.create({ model: 'claude', max_tokens: 50, system: 'Card 4111 1111 1111 1111', messages: [{ role: 'user', content: PERSONAL }] });
    const body = s.claude.requests.at(-1)!.body;
    expect(body.system).toBe('Card [card]');
    expect(body.messages[0].content).toBe(MASKED);
    expect(body.model).toBe('claude-sonnet-4-5');
  });

  it('only the kinds asked for', async () => {
    const s = await setup({ mode: 'mask', on: ['input'], kinds: ['card'] });
    await openai(s.url).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: PERSONAL }] });
    expect(s.a.requests[0]!.body.messages[0].content).toBe('Mail jane.doe@example.com or call +44 20 7946 0958; card [card]; IBAN GB82 WEST 1234 5698 7654 32; key sk-proj-abcdefghijklmnopqrstuvwxyz123456.');
  });
});

describe('input, block mode', () => {
  it('refuses with 400 pii_detected naming the kinds, never the values, with nothing sent', async () => {
    const s = await setup({ mode: 'block', on: ['input'] });
    const err = await rejection<InstanceType<typeof OpenAI.APIError>>(openai(s.url).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Reach me at jane.doe@example.com, card 4111 1111 1111 1111' }] }));
    expect(err.status).toBe(400);
    expect(err.code).toBe('pii_detected');
    expect(err.message).toContain('card, email');
    for (const v of VALUES) expect(JSON.stringify(err.error)).not.toContain(v);
    const claude = await rejection<InstanceType<typeof Anthropic.APIError>>(anthropic(s.url).messages.create({ model: 'claude', max_tokens: 50, messages: [{ role: 'user', content: PERSONAL }] }));
    expect(claude.status).toBe(400);
    expect(claude.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(s.a.count + s.b.count + s.claude.count).toBe(0);
    // Clean requests pass.
    expect((await openai(s.url).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Version 2024-05-01 of v1.2.3 costs 1,234.56' }] })).choices).toHaveLength(1);
  });
});

describe('output', () => {
  it('masks a JSON answer on every format', async () => {
    const s = await setup({ mode: 'mask', on: ['output'] }, { reply: PERSONAL });
    expect((await openai(s.url).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })).choices[0]!.message.content).toBe(MASKED);
    expect((await openai(s.url).responses.create({ model: 'm', input: 'x' })).output_text).toBe(MASKED);
    expect((await anthropic(s.url).messages.create({ model: 'claude', max_tokens: 50, messages: [{ role: 'user', content: 'x' }] })).content).toEqual([{ type: 'text', text: MASKED }]);
  });

  it('masks values the stream splits over several chunks, on every format', async () => {
    // The mock streams a word per event: the card, phone and IBAN arrive in pieces.
    const s = await setup({ mode: 'mask', on: ['output'] }, { reply: PERSONAL });
    expect(await openai(s.url).chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] }).then(chatText)).toBe(MASKED);
    let text = '';
    const r = openai(s.url).responses.stream({ model: 'm', input: 'x' });
    r.on('response.output_text.delta', (e) => (text += e.delta));
    expect((await r.finalResponse()).output_text).toBe(MASKED);
    expect(text).toBe(MASKED);
    const m = anthropic(s.url).messages.stream({ model: 'claude', max_tokens: 50, messages: [{ role: 'user', content: 'x' }] });
    let streamed = '';
    m.on('text', (t) => (streamed += t));
    await m.finalMessage();
    expect(streamed).toBe(MASKED);
  });

  it('masks an e-mail address cut in the middle between two events', async () => {
    const chunk = (content: string) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
    const raw = `${chunk('Write to jane.do')}${chunk('e@example.com today')}data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`;
    const s = await setup({ mode: 'mask', on: ['output'] }, { fault: { raw } });
    const seen: string[] = [];
    for await (const c of await openai(s.url).chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] })) seen.push(c.choices[0]?.delta.content ?? '');
    expect(seen.join('')).toBe('Write to [email] today');
    for (const piece of seen) expect(piece).not.toMatch(/jane|example/);
  });

  it('in block mode, ends the stream with pii_detected: the client sees an error, not the value', async () => {
    const s = await setup({ mode: 'block', on: ['output'] }, { reply: `Fine so far. ${PERSONAL}` });
    let text = '';
    const err = await rejection<InstanceType<typeof OpenAI.APIError>>(
      (async () => {
        for await (const c of await openai(s.url).chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] })) text += c.choices[0]?.delta.content ?? '';
      })(),
    );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.code).toBe('pii_detected');
    for (const v of VALUES) expect(text).not.toContain(v);
  });

  it('holds a resumed stream to the same rule: the backup’s continuation is masked too', async () => {
    const s = await setup({ mode: 'mask', on: ['output'] }, { reply: PERSONAL }, { stream: { resume: true } });
    s.a.setFault({ dieAfterChunks: 4 });
    const text = await openai(s.url).chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] }).then(chatText);
    for (const v of VALUES) expect(text).not.toContain(v);
    expect(text).toContain('[card]');
    expect(s.b.count).toBe(1);
  });
});

describe('the detector on a sample', () => {
  const all = new Set<PiiKind>(['email', 'phone', 'card', 'iban', 'secret']);
  const kinds = (text: string) => findPii(text, all).map((m) => m.kind);

  // What it catches: each line holds exactly the kinds listed.
  const caught: [string, PiiKind[]][] = [
    ['write to ops+alerts@mail.example.co.uk', ['email']],
    ['JANE_DOE99@Example.ORG said hi', ['email']],
    ['call (415) 555-0132 now', ['phone']],
    ['tel. +33 1 42 68 53 00', ['phone']],
    ['+1-202-555-0173', ['phone']],
    ['030 1234 5678', ['phone']],
    ['Visa 4111-1111-1111-1111', ['card']],
    ['Amex 378282246310005', ['card']],
    ['Mastercard 5555 5555 5555 4444', ['card']],
    ['DE89 3704 0044 0532 0130 00', ['iban']],
    ['FR1420041010050500013M02606', ['iban']],
    ['sk-ant-api03-abcdefghijklmnopqrstuvwxyz', ['secret']],
    ['AKIAIOSFODNN7EXAMPLE', ['secret']],
    ['ghp_abcdefghijklmnopqrstuvwxyz0123456789', ['secret']],
    ['AIzaSyA1234567890abcdefghijklmnopqrstuv', ['secret']],
  ];
  // What it leaves alone: none of these is personal data.
  const clean = [
    'released 2024-05-01, version 1.2.3',
    'order 4111 1111 1111 1112 (fails Luhn)',
    'IBAN GB82WEST12345698765433 (bad checksum)',
    'pi is 3.14159265358979',
    'an ISBN 978-3-16-148410-0',
    'total 1,234,567.89 EUR',
    'sk-short',
  ];
  // What it misses, knowingly: no pattern can tell these from ordinary text.
  const missed = [
    'jane dot doe at example dot com',
    'my number is five five five, zero one three two',
    '4155550132',
    'Jane Doe, 12 Rue de Rivoli, Paris',
    'password: hunter2',
  ];

  // What it over-matches, knowingly: groups of digits shaped like a phone number are taken for one.
  const overMatched: [string, PiiKind[]][] = [['IBAN GB82 WEST 1234 5698 7654 33 (bad checksum)', ['phone']]];

  it('over-matches digit groups shaped like a phone number (a masked tail of a mistyped IBAN)', () => {
    for (const [text, expected] of overMatched) expect([text, kinds(text)]).toEqual([text, expected]);
  });

  it('catches each kind in its common spellings', () => {
    for (const [text, expected] of caught) expect([text, kinds(text)]).toEqual([text, expected]);
  });

  it('leaves checksum failures, dates, versions and amounts alone', () => {
    for (const text of clean) expect([text, kinds(text)]).toEqual([text, []]);
  });

  it('misses what only a human (or a model) would see: spelled-out values, names, addresses, bare digits, passwords', () => {
    for (const text of missed) expect([text, kinds(text)]).toEqual([text, []]);
  });
});
