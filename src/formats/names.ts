/**
 * @module
 * The client APIs the relay speaks, by name: a leaf module, so options and hook types can
 * name a format without importing the formats themselves.
 */

/** A client API: OpenAI Chat Completions, OpenAI Responses, Anthropic Messages, or embeddings. */
export type FormatName = 'chat' | 'responses' | 'messages' | 'embeddings';
