/**
 * @module
 * Named SSE events, as the Responses and Messages APIs frame them: an `event:` line
 * naming the type, then the JSON on one `data:` line. (Chat Completions frames only
 * `data:`; see `stream/sse.ts`.)
 */

/** One complete frame: `event: <name>\ndata: <json>\n\n`. */
export function eventFrame(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Parses an event's JSON data, or undefined when it is not a JSON object. */
export function parseData(data: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(data);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
