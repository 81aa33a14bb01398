/**
 * The OpenAI Agents SDK (`@openai/agents`) against the relay's `POST /v1/responses`:
 * agents whose Responses model is an `openai` client pointed at the relay, served by an
 * Anthropic backup when the OpenAI primary fails (the Responses request translated to
 * Messages and back), and natively by an OpenAI target with the Responses API. Runs
 * answer, call function tools, chain turns with `previousResponseId` and stream.
 *
 * What the SDK sends: by default every turn carries the whole conversation as input
 * items and no `previous_response_id`; with `previousResponseId` it sends only the new
 * items and chains each turn to the one before. Both are covered.
 */
import { Agent, OpenAIProvider, OpenAIResponsesModel, Runner, run, setTracingDisabled, tool } from '@openai/agents';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRelay } from 'switchyard';
import { createMockUpstream, type MockReply, type MockRequest, type MockUpstream } from 'switchyard/testing';
import { serveRelay, type Harness } from './helpers/harness.js';

// Traces go to OpenAI's servers by default; these tests talk to 127.0.0.1 only.
setTracingDisabled(true);

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** What serves `m` once the primary fails: Claude (translated), or OpenAI's Responses API (native). */
type Backup = 'anthropic' | 'openai-responses';

/**
 * A relay whose model `m` is [an OpenAI primary answering 503, `backup`], and an `openai`
 * client for it that records every body it sends.
 */
async function relay(backup: Backup, reply: (req: MockRequest) => string | MockReply) {
  const primary = await createMockUpstream({ name: 'primary', protocol: 'openai' });
  const backupMock = await createMockUpstream({ name: 'backup', protocol: backup === 'anthropic' ? 'anthropic' : 'openai', reply });
  primary.setFault({ status: 503 });
  const target =
    backup === 'anthropic'
      ? { provider: { type: 'anthropic' as const, baseURL: backupMock.url, apiKey: 'sk-ant-provider' }, model: 'claude-sonnet-4-5' }
      : { provider: { type: 'openai' as const, baseURL: backupMock.url, apiKey: 'sk-provider', responses: true }, model: 'backup-model' };
  const switchyard = createRelay({
    providers: { primary: { type: 'openai', baseURL: primary.url, apiKey: 'sk-provider' }, backup: target.provider },
    models: { m: { targets: [{ provider: 'primary', model: 'primary-model' }, { provider: 'backup', model: target.model }] } },
    retry: { attempts: 1 },
  });
  h = await serveRelay(switchyard, { primary, backup: backupMock });
  const sent: Record<string, any>[] = [];
  const client = new OpenAI({
    baseURL: h.url,
    apiKey: 'client-key',
    maxRetries: 0,
    fetch: (url, init) => {
      if (typeof init?.body === 'string') sent.push(JSON.parse(init.body));
      return fetch(url, init);
    },
  });
  return { primary, backup: backupMock, client, sent };
}

/** The last user text of a Messages or Responses request. */
function lastUserText(req: MockRequest): string {
  const turns: { role?: string; content: unknown }[] = req.body.messages ?? req.body.input ?? [];
  const content = turns.filter((t) => t.role === 'user').at(-1)?.content;
  if (typeof content === 'string') return content;
  return ((content ?? []) as { type: string; text?: string }[]).map((c) => c.text ?? '').join('');
}

/** The text of the tool result a request ends with (Messages `tool_result`, Responses `function_call_output`), if it does. */
function toolResult(req: MockRequest): string | undefined {
  const last = (req.body.messages ?? req.body.input ?? []).at(-1) as { type?: string; output?: string; content?: unknown } | undefined;
  if (last?.type === 'function_call_output') return last.output;
  const block = Array.isArray(last?.content) ? (last.content as { type: string; content: { text: string }[] }[]).find((c) => c.type === 'tool_result') : undefined;
  return block?.content.map((c) => c.text).join('');
}

/** A model that asks for the weather of the city named last, then answers with the result. */
const weatherModel = (req: MockRequest): string | MockReply => {
  const result = toolResult(req);
  if (result !== undefined) return `The forecast: ${result}.`;
  return { toolCalls: [{ name: 'get_weather', input: { city: lastUserText(req).includes('Lyon') ? 'Lyon' : 'Paris' } }] };
};

/** A `get_weather` function tool that records its arguments. */
function weatherTool() {
  const calls: { city: string }[] = [];
  const t = tool({
    name: 'get_weather',
    description: 'The weather of a city',
    parameters: z.object({ city: z.string() }),
    execute: async (args) => {
      calls.push(args);
      return `clear skies in ${args.city}`;
    },
  });
  return { tool: t, calls };
}

/** Role and block types of each Messages turn, e.g. `['assistant', 'tool_use']`. */
const shape = (req: MockRequest) => (req.body.messages as { role: string; content: { type: string }[] }[]).map((m) => [m.role, m.content.map((c) => c.type).join('+')]);

describe('the Agents SDK, failing over from OpenAI to Claude', () => {
  it('gets the backup\'s text as the final output of a run', async () => {
    const s = await relay('anthropic', () => 'Bonjour from Claude.');
    const agent = new Agent({ name: 'greeter', instructions: 'Answer in French.', model: new OpenAIResponsesModel(s.client, 'm') });
    const result = await run(agent, 'Say hi');
    expect(result.finalOutput).toBe('Bonjour from Claude.');
    expect(result.lastResponseId).toMatch(/^resp_/);
    expect(result.rawResponses[0]!.usage.outputTokens).toBeGreaterThan(0);
    expect(s.sent).toHaveLength(1);
    expect(s.sent[0]).toMatchObject({ model: 'm', instructions: 'Answer in French.', input: [{ role: 'user', content: 'Say hi' }], stream: false });
    expect(s.primary.count).toBe(1);
    const seen = s.backup.requests.at(-1)!;
    expect(seen.path).toBe('/v1/messages');
    expect(seen.body).toMatchObject({ system: [{ type: 'text', text: 'Answer in French.' }], messages: [{ role: 'user', content: [{ type: 'text', text: 'Say hi' }] }] });
  });

  it('runs a function tool, sending the whole conversation each turn (the SDK\'s default)', async () => {
    const s = await relay('anthropic', weatherModel);
    const weather = weatherTool();
    const agent = new Agent({ name: 'forecaster', model: new OpenAIResponsesModel(s.client, 'm'), tools: [weather.tool] });
    const result = await run(agent, 'Weather in Paris?');
    expect(weather.calls).toEqual([{ city: 'Paris' }]);
    expect(result.finalOutput).toBe('The forecast: clear skies in Paris.');
    expect(result.newItems.map((i) => i.type)).toEqual(['tool_call_item', 'tool_call_output_item', 'message_output_item']);
    // The second turn: no previous_response_id, the question, the call and its result as items.
    expect(s.sent).toHaveLength(2);
    expect(s.sent[1]!.previous_response_id).toBeUndefined();
    expect(s.sent[1]!.input.map((i: { type?: string; role?: string }) => i.type ?? i.role)).toEqual(['user', 'function_call', 'function_call_output']);
    expect(s.sent[1]!.tools[0]).toMatchObject({ type: 'function', name: 'get_weather', strict: true });
    // Translated to Messages: the tool, its use and its result.
    const second = s.backup.requests.at(-1)!;
    expect(second.body.tools[0]).toMatchObject({ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } });
    expect(shape(second)).toEqual([
      ['user', 'text'],
      ['assistant', 'tool_use'],
      ['user', 'tool_result'],
    ]);
    expect(second.body.messages[2].content[0]).toMatchObject({ type: 'tool_result', content: [{ type: 'text', text: 'clear skies in Paris' }] });
  });

  it('runs a function tool under previousResponseId, sending only the new items', async () => {
    const s = await relay('anthropic', weatherModel);
    const weather = weatherTool();
    const agent = new Agent({ name: 'forecaster', model: new OpenAIResponsesModel(s.client, 'm'), tools: [weather.tool] });
    const first = await run(agent, 'Weather in Paris?');
    const second = await run(agent, 'And in Lyon?', { previousResponseId: first.lastResponseId });
    expect(weather.calls).toEqual([{ city: 'Paris' }, { city: 'Lyon' }]);
    expect(second.finalOutput).toBe('The forecast: clear skies in Lyon.');
    // The second run's two turns: each chained to the response before, with only what is new.
    const [ask, answer] = s.sent.slice(2);
    expect(ask).toMatchObject({ previous_response_id: first.lastResponseId, input: [{ role: 'user', content: 'And in Lyon?' }] });
    expect(answer!.previous_response_id).toBe(second.rawResponses[0]!.responseId);
    expect(answer!.input.map((i: { type: string }) => i.type)).toEqual(['function_call_output']);
    // The relay gave Claude the whole conversation, both runs.
    expect(shape(s.backup.requests.at(-1)!)).toEqual([
      ['user', 'text'],
      ['assistant', 'tool_use'],
      ['user', 'tool_result'],
      ['assistant', 'text'],
      ['user', 'text'],
      ['assistant', 'tool_use'],
      ['user', 'tool_result'],
    ]);
  });

  it('streams a run with a tool round trip: the text, and `completed` resolves', async () => {
    const s = await relay('anthropic', weatherModel);
    const weather = weatherTool();
    const agent = new Agent({ name: 'forecaster', model: new OpenAIResponsesModel(s.client, 'm'), tools: [weather.tool] });
    const result = await run(agent, 'Weather in Paris?', { stream: true });
    let text = '';
    for await (const delta of result.toTextStream()) text += delta;
    await result.completed;
    expect(text).toBe('The forecast: clear skies in Paris.');
    expect(result.finalOutput).toBe('The forecast: clear skies in Paris.');
    expect(result.error).toBeNull();
    expect(weather.calls).toEqual([{ city: 'Paris' }]);
    expect(s.sent.map((b) => b.stream)).toEqual([true, true]);
    expect(s.backup.requests.map((r) => [r.path, r.body.stream])).toEqual([
      ['/v1/messages', true],
      ['/v1/messages', true],
    ]);
  });
});

describe('the Agents SDK, served natively by an OpenAI target with the Responses API', () => {
  it('runs a tool, chains with previousResponseId and streams; each body passes with only the model changed', async () => {
    const s = await relay('openai-responses', weatherModel);
    const weather = weatherTool();
    // The model by name, through the SDK's OpenAI provider with our client.
    const runner = new Runner({ modelProvider: new OpenAIProvider({ openAIClient: s.client, useResponses: true }), tracingDisabled: true });
    const agent = new Agent({ name: 'forecaster', model: 'm', tools: [weather.tool] });

    const first = await runner.run(agent, 'Weather in Paris?');
    expect(first.finalOutput).toBe('The forecast: clear skies in Paris.');
    const streamed = await runner.run(agent, 'And in Lyon?', { previousResponseId: first.lastResponseId, stream: true });
    let text = '';
    for await (const delta of streamed.toTextStream()) text += delta;
    await streamed.completed;
    expect(text).toBe('The forecast: clear skies in Lyon.');
    expect(weather.calls).toEqual([{ city: 'Paris' }, { city: 'Lyon' }]);

    // The backup holds its own ids, so `previous_response_id` reached it as sent.
    expect(s.backup.requests.map((r) => r.path)).toEqual(Array(4).fill('/v1/responses'));
    expect(s.backup.requests.map((r) => r.body)).toEqual(s.sent.map((body) => ({ ...body, model: 'backup-model' })));
    expect(s.sent[2]).toMatchObject({ previous_response_id: first.lastResponseId, stream: true });
    expect(s.primary.count).toBe(4);
  });
});
