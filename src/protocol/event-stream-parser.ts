// The client's half of the event-stream format: its own module, so that the SDK's lazily loaded
// stream reader holds the parser and nothing else (an app that never sees a stream never loads it).

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
