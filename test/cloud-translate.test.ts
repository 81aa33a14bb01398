/**
 * What the Converse and Gemini translations send and give back: system prompts, tool
 * declarations, a tool call and its result across turns, sampling fields, refusals of
 * what cannot be translated, Gemini's safety verdicts, and embeddings.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from './helpers/anthropic.js';
import { startCloudChain } from './helpers/cloud.js';
import type { Harness } from './helpers/harness.js';

const tools: OpenAI.ChatCompletionFunctionTool[] = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
];
const history: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Weather in Paris?' },
  { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
  { role: 'tool', tool_call_id: 'call_1', content: 'Sunny, 21°C' },
];

describe.each([
  ['bedrock', 'amazon.nova-pro-v1:0'],
  ['gemini', 'gemini-2.5-flash'],
  ['vertex', 'gemini-2.5-pro'],
] as const)('%s translation', (protocol, model) => {
  let h: Harness;
  let client: OpenAI;
  beforeAll(async () => {
    h = await startCloudChain({ up: { protocol, model, mock: { reply: (req) => (JSON.stringify(req.body).includes('Sunny') ? 'It is sunny.' : { toolCalls: [{ name: 'get_weather', input: { city: 'Paris' } }] }) } } });
    client = new OpenAI({ baseURL: h.url, apiKey: 'x', maxRetries: 0 });
  });
  afterAll(async () => {
    await h.close();
  });

  it('a tool call comes back as tool_calls, streamed and not', async () => {
    const body = await client.chat.completions.create({ model: 'chat', tools, messages: [{ role: 'user', content: 'Weather in Paris?' }] });
    const call = body.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(body.choices[0]!.finish_reason).toBe('tool_calls');
    expect([call.function.name, JSON.parse(call.function.arguments)]).toEqual(['get_weather', { city: 'Paris' }]);
    const streamed = await collect(await client.chat.completions.create({ model: 'chat', tools, stream: true, messages: [{ role: 'user', content: 'Weather in Paris?' }] }));
    expect(streamed.finish).toBe('tool_calls');
    expect(streamed.toolCalls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([['get_weather', { city: 'Paris' }]]);
  });

  it('the tool result goes back in the cloud\'s own shape, and the answer comes', async () => {
    const body = await client.chat.completions.create({ model: 'chat', tools, messages: history, max_tokens: 50, temperature: 0.2, stop: ['END'] });
    expect(body.choices[0]!.message.content).toBe('It is sunny.');
    const sent = h.mocks.up!.requests.at(-1)!.body;
    if (protocol === 'bedrock') {
      expect(sent).toEqual({
        system: [{ text: 'Be brief.' }],
        messages: [
          { role: 'user', content: [{ text: 'Weather in Paris?' }] },
          { role: 'assistant', content: [{ toolUse: { toolUseId: 'call_1', name: 'get_weather', input: { city: 'Paris' } } }] },
          { role: 'user', content: [{ toolResult: { toolUseId: 'call_1', content: [{ text: 'Sunny, 21°C' }] } }] },
        ],
        inferenceConfig: { maxTokens: 50, temperature: 0.2, stopSequences: ['END'] },
        toolConfig: { tools: [{ toolSpec: { name: 'get_weather', description: 'Weather of a city', inputSchema: { json: tools[0]!.function.parameters } } }] },
      });
    } else {
      expect(sent).toEqual({
        systemInstruction: { parts: [{ text: 'Be brief.' }] },
        contents: [
          { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
          { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'skip_thought_signature_validator' }] },
          { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { content: 'Sunny, 21°C' } } }] },
        ],
        generationConfig: { maxOutputTokens: 50, temperature: 0.2, stopSequences: ['END'] },
        tools: [{ functionDeclarations: [{ name: 'get_weather', description: 'Weather of a city', parametersJsonSchema: tools[0]!.function.parameters }] }],
      });
    }
  });

  it('refuses with a 400 naming the field what it cannot translate', async () => {
    const err = await client.chat.completions
      .create({ model: 'chat', logprobs: true, messages: [{ role: 'user', content: 'hi' }] })
      .then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(err?.status).toBe(400);
    expect(err?.param).toBe('logprobs');
  });
});

describe('Gemini safety', () => {
  let h: Harness;
  let client: OpenAI;
  beforeAll(async () => {
    h = await startCloudChain({ gemini: { protocol: 'gemini', model: 'gemini-2.5-flash' }, backup: { protocol: 'openai', model: 'b' } });
    client = new OpenAI({ baseURL: h.url, apiKey: 'x', maxRetries: 0 });
  });
  afterAll(async () => {
    await h.close();
  });

  it('a blocked prompt is content_policy: the client gets a 400, no failover', async () => {
    const blocked = { promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: 8, totalTokenCount: 8 }, modelVersion: 'gemini-2.5-flash', responseId: 'r1' };
    h.mocks.gemini!.setFault({ raw: JSON.stringify(blocked) });
    const err = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] }).then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(err?.status).toBe(400);
    expect(err?.message).toContain('Gemini blocked the prompt (PROHIBITED_CONTENT)');
    expect(h.mocks.backup!.requests).toHaveLength(0);
  });

  it('an answer stopped for SAFETY finishes with content_filter', async () => {
    const stopped = { candidates: [{ content: { parts: [{ text: 'I cannot' }], role: 'model' }, finishReason: 'SAFETY', index: 0 }], usageMetadata: { promptTokenCount: 8, candidatesTokenCount: 2 }, responseId: 'r2' };
    h.mocks.gemini!.setFault({ raw: `data: ${JSON.stringify(stopped)}\n\n` });
    const got = await collect(await client.chat.completions.create({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'x' }] }));
    expect([got.text, got.finish]).toEqual(['I cannot', 'content_filter']);
  });
});

describe.each([
  ['gemini', 'gemini-embedding-001', ':batchEmbedContents'],
  ['azure-openai', 'embed-deployment', '/openai/deployments/embed-deployment/embeddings'],
  ['bedrock', 'cohere.embed-english-v3', '/model/cohere.embed-english-v3/invoke'],
] as const)('%s embeddings', (protocol, model, path) => {
  it('answers an OpenAI embeddings request', async () => {
    const h = await startCloudChain({ up: { protocol, model } });
    try {
      const client = new OpenAI({ baseURL: h.url, apiKey: 'x', maxRetries: 0 });
      const result = await client.embeddings.create({ model: 'chat', input: ['one', 'two'], encoding_format: 'float' });
      expect(result.data.map((d) => d.index)).toEqual([0, 1]);
      expect(result.data[0]!.embedding).toHaveLength(8);
      expect(h.mocks.up!.requests[0]!.path.endsWith(path)).toBe(true);
    } finally {
      await h.close();
    }
  });
});
