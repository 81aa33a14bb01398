/**
 * @module
 * `switchyard/testing`: a fault-injecting mock upstream (OpenAI-compatible, or
 * Anthropic's Messages API) for testing failover chains against real sockets.
 */
export { createMockUpstream } from './mock-upstream.js';
export type { MockFault, MockReply, MockRequest, MockToolCall, MockUpstream, MockUpstreamOptions } from './types.js';
export { azureContentFilterError } from './azure-mock.js';
export type { MockAwsCredentials } from './sigv4-check.js';
