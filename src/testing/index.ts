/**
 * @module
 * `switchyard/testing`: a fault-injecting mock OpenAI-compatible upstream for
 * testing failover chains against real sockets.
 */
export { createMockUpstream } from './mock-upstream.js';
export type { MockFault, MockRequest, MockUpstream, MockUpstreamOptions } from './types.js';
