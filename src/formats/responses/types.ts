/**
 * @module
 * The OpenAI Responses API shapes the relay reads and writes. Only the fields the relay
 * acts on are named; everything else a client sends stays on the object and passes
 * through natively.
 */

type Json = Record<string, unknown>;

/** An input or output item (`message`, `function_call`, `reasoning`, a hosted tool call, ...). */
export type ResponseItem = Json & { type: string; id?: string };

/** A validated `POST /responses` body. */
export type ResponsesRequest = Json & {
  model: string;
  /** A string (one user message) or items; after `continueConversation` the whole history. */
  input: string | ResponseItem[];
  instructions?: string | null;
  tools?: (Json & { type: string })[];
  tool_choice?: string | (Json & { type: string });
  parallel_tool_calls?: boolean;
  text?: Json & { format?: Json & { type: string } };
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  reasoning?: (Json & { effort?: string | null; summary?: string | null }) | null;
  metadata?: Record<string, string> | null;
  user?: string;
  stream?: boolean;
  previous_response_id?: string | null;
  /** Whether the relay keeps the response for `previous_response_id` and `GET`. OpenAI's default: true. */
  store?: boolean | null;
};

/** OpenAI's `usage` of a Response. */
export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** A Response object (`object: "response"`). */
export type ResponseObject = Json & {
  id: string;
  object: 'response';
  created_at: number;
  status: 'in_progress' | 'completed' | 'incomplete' | 'failed';
  model: string;
  output: ResponseItem[];
  usage: ResponseUsage | null;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: string } | null;
};
