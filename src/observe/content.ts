/**
 * @module
 * Prompt and completion content for hosts that opted in (`telemetry.captureContent`,
 * `requestLog.prompts`): the text of an answer, OpenAI messages in the GenAI semantic
 * conventions' shape, and redaction of keys from both.
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

/** Things that look like credentials, whoever's they are. */
const KEY_PATTERNS = [/\bsk-[A-Za-z0-9_-]{8,}/g, /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi, /\bAKIA[0-9A-Z]{16}\b/g, /\bAIza[0-9A-Za-z_-]{30,}/g];

/** `text` with every provider key in `secrets` and anything shaped like a key replaced by `[redacted]`. */
export function redactKeys(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join('[redacted]');
  for (const pattern of KEY_PATTERNS) out = out.replace(pattern, '[redacted]');
  return out;
}

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
export function inputMessages(messages: unknown[], secrets: readonly string[]): string {
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
  return redactKeys(JSON.stringify(out), secrets);
}

/** The answer as `gen_ai.output.messages`, keys redacted. */
export function outputMessages(text: string, finishReason: string | undefined, secrets: readonly string[]): string {
  const message: Part = { role: 'assistant', parts: [{ type: 'text', content: text }] };
  if (finishReason) message.finish_reason = finishReason;
  return redactKeys(JSON.stringify([message]), secrets);
}
