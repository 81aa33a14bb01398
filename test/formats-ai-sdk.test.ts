/**
 * The Vercel AI SDK (`ai` 6) against the Responses and Messages formats, without the
 * engine: `@ai-sdk/openai`'s default provider (which speaks Responses, and in a tool loop
 * refers back to earlier output with `item_reference` items, since it stores by default)
 * and `@ai-sdk/anthropic`, each with `generateText` and `streamText` running a tool to
 * completion, over a chat mock upstream on 127.0.0.1.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMockUpstream, type MockUpstream } from 'switchyard/testing';
import { messagesFormat } from '../src/formats/messages/index.js';
import { responsesFormat } from '../src/formats/responses/index.js';
import { ResponseStateStore } from '../src/formats/responses/state.js';
import { MemoryStore } from '../src/store/memory.js';
import { serveFormat, upstream, type FormatServer } from './helpers/formats.js';

let mock: MockUpstream;
let responses: FormatServer;
let messages: FormatServer;

beforeAll(async () => {
  // The model asks for the weather, then answers with what the tool said.
  mock = await createMockUpstream({
    reply: (req) => {
      const tool = (req.body.messages as { role: string; content: unknown }[]).findLast((m) => m.role === 'tool');
      if (tool) return `Paris: ${typeof tool.content === 'string' ? tool.content : JSON.stringify(tool.content)}`;
      return { text: 'Checking.', toolCalls: [{ name: 'weather', input: { city: 'Paris' } }] };
    },
  });
  responses = await serveFormat({ format: responsesFormat, source: upstream(mock.url), state: new ResponseStateStore({ store: new MemoryStore() }) });
  messages = await serveFormat({ format: messagesFormat, source: upstream(mock.url) });
});
afterEach(() => mock.reset());
afterAll(async () => {
  await Promise.all([responses.close(), messages.close()]);
  await mock.close();
});

const calls: unknown[] = [];
const weather = tool({
  description: 'Weather for a city',
  inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }),
  execute: async ({ city }) => {
    calls.push(city);
    return `sunny in ${city}`;
  },
});

const models = () => ({
  'openai (Responses)': createOpenAI({ baseURL: responses.url, apiKey: 'client-key' })('gpt-test'),
  anthropic: createAnthropic({ baseURL: messages.url, apiKey: 'client-key' })('claude-test'),
});

describe.each(['openai (Responses)', 'anthropic'] as const)('%s', (name) => {
  it('generateText runs the tool and answers with its result', async () => {
    calls.length = 0;
    const result = await generateText({ model: models()[name], prompt: 'Weather in Paris?', tools: { weather }, stopWhen: stepCountIs(3), maxOutputTokens: 512 });
    expect(calls).toEqual(['Paris']);
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0]!.toolCalls.map((c) => ({ name: c.toolName, input: c.input }))).toEqual([{ name: 'weather', input: { city: 'Paris' } }]);
    expect(result.steps[0]!.text).toBe('Checking.');
    expect(result.text).toBe('Paris: sunny in Paris');
    expect(result.finishReason).toBe('stop');
    expect(result.totalUsage.inputTokens).toBeGreaterThan(0);
    expect(result.totalUsage.outputTokens).toBeGreaterThan(0);
    // The second chat request carries the call and its result.
    expect(mock.requests[1]!.body.messages.slice(-2).map((m: { role: string }) => m.role)).toEqual(['assistant', 'tool']);
  });

  it('streamText streams the tool step and the answer', async () => {
    calls.length = 0;
    const result = streamText({ model: models()[name], prompt: 'Weather in Paris?', tools: { weather }, stopWhen: stepCountIs(3), maxOutputTokens: 512 });
    let text = '';
    const kinds = new Set<string>();
    for await (const part of result.fullStream) {
      kinds.add(part.type);
      if (part.type === 'text-delta') text += part.text;
      if (part.type === 'error') throw part.error;
    }
    expect(calls).toEqual(['Paris']);
    expect(text).toBe('Checking.Paris: sunny in Paris');
    expect(kinds).toContain('tool-call');
    expect(kinds).toContain('tool-result');
    expect(await result.finishReason).toBe('stop');
    const usage = await result.totalUsage;
    expect(usage.inputTokens).toBeGreaterThan(0);
    expect(mock.requests.map((r) => r.body.stream)).toEqual([true, true]);
  });
});

it('the openai provider refers to its earlier output by item_reference, which the relay resolves from its store', async () => {
  await generateText({ model: models()['openai (Responses)'], prompt: 'Weather in Paris?', tools: { weather }, stopWhen: stepCountIs(3), maxOutputTokens: 512 });
  const second = responses.seen[responses.seen.length - 1]!.request.input as { type?: string }[];
  expect(second.some((item) => item.type === 'item_reference')).toBe(true);
  // ...and the chat upstream got the text of that item back.
  expect(mock.requests[1]!.body.messages[1]).toMatchObject({ role: 'assistant', content: 'Checking.' });
});
