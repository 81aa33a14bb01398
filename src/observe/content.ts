/**
 * @module
 * Prompt and completion content for hosts that opted in (`telemetry.captureContent`,
 * `requestLog.prompts`): the text of an answer, OpenAI messages in the GenAI semantic
 * conventions' shape, each passed through the relay's redactor.
 */

/** The assistant text of a `chat.completion` body (first choice), or '' when it has none. */
export function completionText(body: Buffer): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { choices?: { message?: { content?: unknown } }[] };
    const content = parsed.choices?.[0]?.message?.content;
    return typeof content === 'string' ? content : '';
  } catch {
    return '';
  }
}

/** The relay's redactor for text that is not an answer (`Redactor.message`): secrets and key-shaped text. */
export type Redact = (text: string) => string;

type Part = Record<string, unknown>;

/** One OpenAI content value as GenAI `parts`. Images and audio are named, never inlined. */
function parts(content: unknown): Part[] {
  if (typeof content === 'string') return [{ type: 'text', content }];
  if (!Array.isArray(content)) return [];
  return content.map((item: { type?: unknown; text?: unknown }) =>
    item?.type === 'text' && typeof item.text === 'string' ? { type: 'text', content: item.text } : { type: String(item?.type ?? 'unknown') },
  );
}

/**
 * OpenAI chat messages as the conventions' `gen_ai.input.messages` value
 * (`[{ role, parts: [{ type: 'text', content }] }]`), keys redacted.
 */
export function inputMessages(messages: unknown[], redact: Redact): string {
  const out = messages.map((m) => {
    const msg = (m ?? {}) as { role?: unknown; content?: unknown; tool_calls?: unknown; tool_call_id?: unknown };
    const role = String(msg.role ?? 'user');
    const p = role === 'tool' ? [{ type: 'tool_call_response', id: msg.tool_call_id, response: msg.content }] : parts(msg.content);
    if (Array.isArray(msg.tool_calls)) {
      for (const call of msg.tool_calls as { id?: unknown; function?: { name?: unknown; arguments?: unknown } }[]) {
        p.push({ type: 'tool_call', id: call?.id, name: call?.function?.name, arguments: call?.function?.arguments });
      }
    }
    return { role, parts: p };
  });
  return redact(JSON.stringify(out));
}

/** The answer as `gen_ai.output.messages`, keys redacted. */
export function outputMessages(text: string, finishReason: string | undefined, redact: Redact): string {
  const message: Part = { role: 'assistant', parts: [{ type: 'text', content: text }] };
  if (finishReason) message.finish_reason = finishReason;
  return redact(JSON.stringify([message]));
}
