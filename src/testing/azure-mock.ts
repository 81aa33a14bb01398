/**
 * @module
 * The mock in Azure OpenAI mode: deployment URLs
 * (`/openai/deployments/{deployment}/chat/completions?api-version=…`) and the v1 API
 * (`/openai/v1/chat/completions`), OpenAI's bodies and streams, Azure's error bodies, and
 * `api-key` or bearer authentication.
 */
import { openaiPayload, type MockProtocol } from './protocol.js';
import type { Dialect, Payload } from './respond.js';
import { sseFrame } from './openai-mock.js';

/** Azure's error body: the status as a string `code`. */
export function azureError(status: number, message: string): object {
  return { error: { code: String(status), message } };
}

/**
 * The 400 Azure sends when its content filter refuses a prompt, for a fault's `body`.
 *
 * @example
 * ```ts
 * mock.queueFaults({ status: 400, body: azureContentFilterError() });
 * ```
 */
export function azureContentFilterError(): object {
  const safe = { filtered: false, severity: 'safe' };
  return {
    error: {
      message:
        "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
      type: null,
      param: 'prompt',
      code: 'content_filter',
      status: 400,
      innererror: {
        code: 'ResponsibleAIPolicyViolation',
        content_filter_result: { hate: safe, jailbreak: { filtered: false, detected: false }, self_harm: safe, sexual: safe, violence: { filtered: true, severity: 'medium' } },
      },
    },
  };
}

export const AZURE_DIALECT: Dialect = {
  error: azureError,
  streamError: sseFrame({ error: { code: 'server_error', message: 'mock in-stream error' } }),
};

const denied = (): Payload => ({
  type: 'json',
  status: 401,
  body: azureError(401, 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.'),
});

/** Azure OpenAI under `basePath` (usually the resource root). */
export function azureProtocol(basePath: string): MockProtocol {
  const deployment = new RegExp(`^${basePath}/openai/deployments/([^/]+)/(chat/completions|embeddings)$`);
  const v1 = new RegExp(`^${basePath}/openai/v1/(chat/completions|embeddings)$`);
  return {
    basePath,
    toolIdPrefix: 'call',
    route(method, path, query) {
      if (method !== 'POST') return null;
      const d = deployment.exec(path);
      // Deployment URLs need an api-version; without one Azure answers 404.
      if (d && query.has('api-version')) return { kind: d[2] === 'embeddings' ? 'embeddings' : 'chat', model: decodeURIComponent(d[1]!), api: 'deployment' };
      const v = v1.exec(path);
      if (v) return { kind: v[1] === 'embeddings' ? 'embeddings' : 'chat', api: 'v1' };
      return null;
    },
    dialect: () => AZURE_DIALECT,
    authorize: (req) => (req.headers['api-key'] === undefined && !/^Bearer \S+$/.test(String(req.headers.authorization ?? '')) ? denied() : undefined),
    payload: openaiPayload,
  };
}
