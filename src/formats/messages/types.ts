/**
 * @module
 * The Anthropic Messages API shapes the relay reads and writes. Only the fields the
 * relay acts on are named; the rest stay on the object and pass through natively.
 */

type Json = Record<string, unknown>;

/** A content block (`text`, `image`, `tool_use`, `thinking`, a server tool block, ...). */
export type ContentBlock = Json & { type: string };

/** One turn of `messages`. */
export interface MessageParam {
  role: 'user' | 'assistant';
  content: string | ContentBlock[];
}

/** A validated `POST /messages` body. */
export type MessagesRequest = Json & {
  model: string;
  max_tokens: number;
  messages: MessageParam[];
  system?: string | ContentBlock[];
  tools?: (Json & { name: string; type?: string })[];
  tool_choice?: Json & { type: 'auto' | 'any' | 'tool' | 'none'; name?: string; disable_parallel_tool_use?: boolean };
  stop_sequences?: string[];
  temperature?: number;
  top_p?: number;
  top_k?: number;
  thinking?: Json & { type: string; budget_tokens?: number };
  metadata?: Json & { user_id?: string | null };
  stream?: boolean;
};

/** Anthropic's `usage` of a message. */
export interface MessageUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
}
