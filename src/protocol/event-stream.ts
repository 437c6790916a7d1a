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

/** One server-sent event (WHATWG HTML, "Server-sent events"). */
export interface ServerSentEvent {
  /** The `event:` field; `message` when absent. */
  event: string;
  /** The `id:` field, or `undefined` when the event set none. */
  id: string | undefined;
  data: string;
  /** The `retry:` field, milliseconds. */
  retry: number | undefined;
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

/**
 * An incremental event-stream parser (WHATWG HTML, "Parsing an event stream"): feed it text as it arrives (chunks may
 * split lines anywhere) and it calls `onEvent` per dispatched event. Events without data are not
 * dispatched, as in `EventSource`, but their `retry:` is reported through `onRetry`.
 *
 * @example
 * const parser = createEventStreamParser((e) => console.log(e.event, e.data));
 * parser.feed("event: job\nid: \"1\"\ndata: {}\n\n");
 */
export function createEventStreamParser(onEvent: (event: ServerSentEvent) => void, onRetry?: (ms: number) => void) {
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let id: string | undefined;
  let retry: number | undefined;
  const line = (text: string) => {
    if (text === "") {
      if (data.length > 0) onEvent({ event: event || "message", id, data: data.join("\n"), retry });
      event = "";
      data = [];
      retry = undefined;
      return;
    }
    if (text.startsWith(":")) return; // a comment (heartbeat)
    const colon = text.indexOf(":");
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "id" && !value.includes("\0")) id = value;
    else if (field === "retry" && /^\d+$/.test(value)) {
      retry = Number(value);
      onRetry?.(retry);
    }
  };
  return {
    feed(chunk: string) {
      buffer += chunk;
      // CRLF, LF and CR all end a line; a trailing CR may be the first half of a CRLF.
      const lines = buffer.split(/\r\n|\n|\r(?!$)/);
      buffer = lines.pop()!;
      for (const text of lines) line(text);
    },
  };
}
