/** Default prices reach the cloud ids of a model: Bedrock ids, inference profile ARNs and Vertex `@date` versions. */
import { expect, it } from 'vitest';
import { defaultPrice } from 'switchyard';
it.each([
  ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 3],
  ['global.anthropic.claude-haiku-4-5-20251001-v1:0', 1],
  ['anthropic.claude-opus-4-1-20250805-v1:0', 15],
  ['arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0', 3],
  ['claude-sonnet-4-5@20250929', 3],
  ['amazon.nova-pro-v1:0', 0.8],
  ['us.amazon.nova-lite-v1:0', 0.06],
  ['gemini-2.5-pro', 1.25],
  ['gpt-4.1-2025-04-14', 2],
])('%s', (model, input) => expect(defaultPrice(model)?.input).toBe(input));
it('unknown stays unknown', () => expect(defaultPrice('us.meta.llama3-3-70b-instruct-v1:0')).toBeUndefined());
