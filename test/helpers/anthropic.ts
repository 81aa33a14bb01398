/**
 * Chains that mix protocols: each mock speaks OpenAI's API or Anthropic's, and the
 * relay gets a provider of the matching type for it. Plus a reader that accumulates an
 * `openai` client stream the way an application would.
 */
import { createRelay, type RelayConfig } from 'switchyard';
import { createMockUpstream, type MockUpstream, type MockUpstreamOptions } from 'switchyard/testing';
import { serveRelay, type Harness } from './harness.js';
import type { NodeHandlerOptions } from 'switchyard';

export type Protocol = 'openai' | 'anthropic';

/** The key the relay sends to the provider named `name`. */
export const keyOf = (name: string) => `sk-test-${name}-secret`;

/** One provider per mock, of its protocol's type, and a public model `chat` over them in order. */
export function mixedConfig(mocks: Record<string, MockUpstream>, protocols: Record<string, Protocol>, extra: Partial<RelayConfig> = {}): RelayConfig {
  const providers: RelayConfig['providers'] = {};
  for (const [name, mock] of Object.entries(mocks)) providers[name] = { type: protocols[name]!, baseURL: mock.url, apiKey: keyOf(name) };
  return {
    providers,
    models: { chat: { targets: Object.keys(mocks).map((name) => ({ provider: name, model: `${name}-model` })) } },
    retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 20 },
    ...extra,
  };
}

/** Mocks of the given protocols (in chain order) plus a relay on plain node:http under `/v1`. */
export async function startMixedHarness(
  protocols: Record<string, Protocol>,
  extra: Partial<RelayConfig> = {},
  mockOptions: MockUpstreamOptions = {},
  handler: NodeHandlerOptions = {},
): Promise<Harness> {
  const mocks: Record<string, MockUpstream> = {};
  for (const [name, protocol] of Object.entries(protocols)) mocks[name] = await createMockUpstream({ name, protocol, ...mockOptions });
  return serveRelay(createRelay(mixedConfig(mocks, protocols, extra)), mocks, handler);
}

/** What a client ends up with after reading a whole stream. */
export interface Collected {
  text: string;
  reasoning: string;
  finish: string | null;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  toolCalls: { id: string; name: string; arguments: string }[];
  /** Distinct `id`, `model` and `created` values seen across chunks. */
  ids: Set<string>;
  chunks: number;
}

/** Accumulates an `openai` client stream: text, reasoning, tool calls by index, finish reason, usage. */
export async function collect(stream: AsyncIterable<any>): Promise<Collected> {
  const out: Collected = { text: '', reasoning: '', finish: null, usage: null, toolCalls: [], ids: new Set(), chunks: 0 };
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
  for await (const chunk of stream) {
    out.chunks++;
    out.ids.add(`${chunk.id}|${chunk.model}|${chunk.created}`);
    if (chunk.usage) {
      const { prompt_tokens, completion_tokens, total_tokens } = chunk.usage;
      out.usage = { prompt_tokens, completion_tokens, total_tokens };
    }
    const choice = chunk.choices[0];
    if (!choice) continue;
    out.text += choice.delta?.content ?? '';
    out.reasoning += choice.delta?.reasoning_content ?? '';
    if (choice.finish_reason) out.finish = choice.finish_reason;
    for (const tc of choice.delta?.tool_calls ?? []) {
      const call = calls.get(tc.index) ?? { id: '', name: '', arguments: '' };
      if (!call.id && tc.id) call.id = tc.id;
      if (!call.name && tc.function?.name) call.name = tc.function.name;
      call.arguments += tc.function?.arguments ?? '';
      calls.set(tc.index, call);
    }
  }
  out.toolCalls = [...calls.values()];
  return out;
}
