/**
 * Recorded Responses API traffic (test/fixtures/responses-streams, from live OpenAI and
 * Azure endpoints via the Vercel AI SDK, Apache-2.0) against the Responses format.
 *
 * Native path: where each recording commits (the first event a client would act on),
 * the in-band error of the failed one, and the usage read for cost, stream and body.
 * Translated path: the same answers as a chat target gives them, through the format to
 * the official `openai` client, which must end with the text, calls and usage the
 * recording's `*.expected.json` states.
 */
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { responsesFormat } from '../src/formats/responses/index.js';
import { serveFormat, type FormatServer } from './helpers/formats.js';
import { eventsOf, responseAsChat, responsesAsChat, responsesRecordings, type ResponsesExpected } from './helpers/responses-recordings.js';

const recordings = responsesRecordings();
const streams = recordings.filter((r) => r.kind === 'responses-sse');
const bodies = recordings.filter((r) => r.kind === 'responses-json');

/** The event each stream must commit on: its type, and the type of the item it adds. */
const COMMIT: Record<string, { type: string; item?: string } | null> = {
  'openai-stream-text.sse': { type: 'response.output_text.delta' },
  'openai-stream-function-call.sse': { type: 'response.output_item.added', item: 'function_call' },
  // The encrypted reasoning item before the call is preamble.
  'openai-stream-reasoning-function-call.sse': { type: 'response.output_item.added', item: 'function_call' },
  'openai-stream-reasoning-summary.sse': { type: 'response.reasoning_summary_text.delta' },
  // A hosted search that ran is something the client sees.
  'openai-stream-web-search.sse': { type: 'response.output_item.added', item: 'web_search_call' },
  'openai-stream-failed-insufficient-quota.sse': null,
  'azure-stream-text.sse': { type: 'response.output_text.delta' },
};

const usageOf = (expected: ResponsesExpected) =>
  expected.usage && { prompt_tokens: expected.usage.input_tokens, completion_tokens: expected.usage.output_tokens, total_tokens: expected.usage.input_tokens + expected.usage.output_tokens };

describe('native path: commit point, in-band errors and usage', () => {
  it('every stream of the manifest has its commit event stated', () => {
    expect(streams.map((s) => s.file).sort()).toEqual(Object.keys(COMMIT).sort());
    expect(bodies).toHaveLength(3);
  });

  it.each(streams.map((r) => [r.file, r] as const))('%s commits on the first event a client acts on', async (file, rec) => {
    const events = await eventsOf(rec.bytes);
    const commitAt = events.findIndex((e) => responsesFormat.isContent(e.event, e.data));
    const want = COMMIT[file];
    if (want === null) {
      expect(commitAt).toBe(-1);
      return;
    }
    const expectedAt = events.findIndex((e) => {
      const data = JSON.parse(e.data);
      return data.type === want.type && (want.item === undefined || data.item?.type === want.item);
    });
    expect(expectedAt).toBeGreaterThan(0);
    expect(commitAt).toBe(expectedAt);
  });

  it.each(streams.map((r) => [r.file, r] as const))('%s: the in-band error, if any', async (_file, rec) => {
    const errors = (await eventsOf(rec.bytes)).map((e) => responsesFormat.nativeError(e.event, e.data)).filter((e) => e !== undefined);
    if (rec.expected.error) {
      // The `error` event, then `response.failed` saying the same.
      expect(errors).toEqual([
        { code: rec.expected.error.code, message: rec.expected.error.message },
        { code: rec.expected.error.code, message: rec.expected.error.message },
      ]);
    } else {
      expect(errors).toEqual([]);
    }
  });

  it.each(streams.map((r) => [r.file, r] as const))('%s: usage read from the stream', async (_file, rec) => {
    const meter = responsesFormat.nativeUsage();
    for (const e of await eventsOf(rec.bytes)) meter.event(e.event, e.data);
    expect(meter.usage() ?? null).toEqual(usageOf(rec.expected));
  });

  it.each(bodies.map((r) => [r.file, r] as const))('%s: usage read from the body', (_file, rec) => {
    const meter = responsesFormat.nativeUsage();
    meter.body(rec.bytes.toString('utf8'));
    expect(meter.usage()).toEqual(usageOf(rec.expected));
  });
});

describe('translated path: the openai client ends with the recorded result', () => {
  const servers: FormatServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  const clientFor = async (source: Parameters<typeof serveFormat>[0]['source']) => {
    const server = await serveFormat({ format: responsesFormat, source });
    servers.push(server);
    return new OpenAI({ baseURL: server.url, apiKey: 'k', maxRetries: 0 });
  };
  const resultOf = (response: OpenAI.Responses.Response) => ({
    status: response.status,
    output_text: response.output_text,
    function_calls: response.output
      .filter((i): i is OpenAI.Responses.ResponseFunctionToolCall => i.type === 'function_call')
      .map((c) => ({ call_id: c.call_id, name: c.name, arguments: c.arguments })),
    usage: response.usage && { input_tokens: response.usage.input_tokens, output_tokens: response.usage.output_tokens },
  });
  const expectedResult = (e: ResponsesExpected) => ({ status: e.status, output_text: e.output_text, function_calls: e.function_calls, usage: e.usage });

  it.each(streams.filter((r) => r.expected.status !== 'failed').map((r) => [r.file, r] as const))('%s, streamed: responses.stream()', async (_file, rec) => {
    const openai = await clientFor(async () => ({ payloads: responsesAsChat(rec.bytes) }));
    const final = await openai.responses.stream({ model: 'm', input: 'hi' }).finalResponse();
    expect(resultOf(final)).toEqual(expectedResult(rec.expected));
    // Reasoning summaries come through as one reasoning item; hosted tool calls cannot.
    expect(final.output.filter((i) => i.type === 'reasoning').length).toBe(rec.file === 'openai-stream-reasoning-summary.sse' ? 1 : 0);
  });

  it.each(streams.filter((r) => r.expected.status !== 'failed').map((r) => [r.file, r] as const))('%s, streamed: text deltas of responses.create({stream})', async (_file, rec) => {
    const openai = await clientFor(async () => ({ payloads: responsesAsChat(rec.bytes) }));
    let text = '';
    let last = -1;
    for await (const event of await openai.responses.create({ model: 'm', input: 'hi', stream: true })) {
      expect(event.sequence_number).toBe(last + 1);
      last = event.sequence_number;
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    expect(text).toBe(rec.expected.output_text);
  });

  it('the failed recording: the client throws the recorded error', async () => {
    const rec = streams.find((r) => r.expected.status === 'failed')!;
    const openai = await clientFor(async () => ({ payloads: responsesAsChat(rec.bytes) }));
    const err = await openai.responses
      .stream({ model: 'm', input: 'hi' })
      .finalResponse()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect({ code: (err as InstanceType<typeof OpenAI.APIError>).code, message: (err as InstanceType<typeof OpenAI.APIError>).error }).toMatchObject({
      code: rec.expected.error!.code,
      message: { message: rec.expected.error!.message },
    });
  });

  it.each(bodies.map((r) => [r.file, r] as const))('%s, JSON: responses.create()', async (_file, rec) => {
    const openai = await clientFor(async () => ({ json: responseAsChat(JSON.parse(rec.bytes.toString('utf8'))) }));
    expect(resultOf(await openai.responses.create({ model: 'm', input: 'hi' }))).toEqual(expectedResult(rec.expected));
  });
});
