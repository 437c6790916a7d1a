import { eventStreamType } from "./event-stream-type.ts";

export { eventStreamType };

/**
 * Does an `Accept` header ask for a job stream? Yes when it lists `text/event-stream` without
 * `q=0`: a client that can read both sends `text/event-stream, application/json` and reads the
 * answer's `Content-Type` (spec §2: a server that does not stream answers the JSON).
 *
 * @example
 * acceptsEventStream("text/event-stream, application/json") // true
 */
export function acceptsEventStream(accept: string | null | undefined): boolean {
  if (!accept) return false;
  return accept.split(",").some((range) => {
    const [type, ...params] = range.split(";").map((p) => p.trim().toLowerCase());
    return type === eventStreamType && !params.some((p) => /^q=0(\.0*)?$/.test(p));
  });
}

/**
 * The text of one event. `data` must be one line (JSON is), so no line splitting is needed.
 *
 * @example
 * formatServerSentEvent({ event: "job", id: '"3"', data: JSON.stringify(job) })
 */
export function formatServerSentEvent(event: { event?: string; id?: string; data?: string; retry?: number }): string {
  let text = "";
  if (event.retry !== undefined) text += `retry: ${Math.max(0, Math.round(event.retry))}\n`;
  if (event.event !== undefined) text += `event: ${event.event}\n`;
  if (event.id !== undefined) text += `id: ${event.id}\n`;
  if (event.data !== undefined) text += `data: ${event.data}\n`;
  return `${text}\n`;
}

/** A comment line: keeps the connection (and every proxy on the way) from going idle. */
export const eventStreamHeartbeat = ": keep-alive\n\n";

/**
 * What a job stream sends first (spec §2): the current representation, unless the client's
 * `Last-Event-ID` is still current; then it waits for the next change, or ends at once when that
 * current representation is terminal (the client has the terminal event already).
 *
 * @example
 * firstStreamStep({ etag: '"4"', terminal: true, lastEventId: '"3"' }) // "send"
 */
export function firstStreamStep(current: { etag: string; terminal: boolean; lastEventId: string | undefined }): "send" | "wait" | "end" {
  if (current.lastEventId !== current.etag) return "send";
  return current.terminal ? "end" : "wait";
}
