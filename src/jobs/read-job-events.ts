import { createEventStreamParser, type ServerSentEvent } from "../protocol/event-stream.ts";

/**
 * The events of one job stream's body (spec §8.2); a body silent for `idleMs` is aborted (a dead
 * connection) and a cut one throws a `TypeError` (the caller reconnects). Its own module so that
 * `jobStream` loads it (and the parser) only when a server streams.
 *
 * @example
 * for await (const event of readJobEvents(response.body!, connection, 45_000, onRetry)) handle(event)
 */
export async function* readJobEvents(
  body: ReadableStream<Uint8Array>,
  connection: AbortController,
  idleMs: number,
  onRetry: (ms: number) => void,
): AsyncGenerator<ServerSentEvent> {
  const events: ServerSentEvent[] = [];
  const parser = createEventStreamParser((e) => events.push(e), onRetry);
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let idle: ReturnType<typeof setTimeout> | undefined;
  const cancelIdle = () => connection.abort(new TypeError("The job stream went silent."));
  // The request's signal no longer reaches a body already flowing: cancel the read ourselves.
  const onAbort = () => void reader.cancel().catch(() => undefined);
  connection.signal.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      clearTimeout(idle);
      idle = setTimeout(cancelIdle, idleMs);
      const { value, done } = await reader.read();
      if (done) return;
      parser.feed(decoder.decode(value, { stream: true }));
      yield* events.splice(0);
    }
  } catch (error) {
    // A connection cut mid-body, or found silent, is a network loss: resume (an abort by the
    // caller is told apart by its own signal).
    throw new TypeError("The job stream was cut.", { cause: error });
  } finally {
    clearTimeout(idle);
    connection.signal.removeEventListener("abort", onAbort);
    reader.cancel().catch(() => undefined);
  }
}
