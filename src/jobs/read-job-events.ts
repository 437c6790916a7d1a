import { createEventStreamParser, type ServerSentEvent } from "../protocol/event-stream-parser.ts";

/** One `job` event: the job, and the event's id (its ETag; `<job id> <ETag>` on the many-jobs stream, spec §8.2.1). */
export interface JobEvent<J> {
  id: string | undefined;
  job: J;
}

/**
 * The `job` events of one job stream's body (spec §8.2), until the body ends. The read stops on
 * `signal`'s abort (rejecting with its reason); a cut body, or one silent for `idleMs` (a dead
 * connection), throws a `TypeError` (the caller reconnects). Its own module so that `jobStream`
 * and `watchMany` load it (and the parser) only when a server streams.
 *
 * @example
 * for await (const { id, job } of readJobEvents(response.body!, signal, 45_000, onRetry)) show(job)
 */
export async function* readJobEvents<J>(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal | undefined,
  idleMs: number,
  onRetry: (ms: number) => void,
): AsyncGenerator<JobEvent<J>> {
  const events: ServerSentEvent[] = [];
  const parser = createEventStreamParser((e) => events.push(e), onRetry);
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let idle: ReturnType<typeof setTimeout> | undefined;
  let silent = false;
  // The request's signal may no longer reach a body already flowing (an injected fetch): a
  // cancel ends the pending read.
  const cancel = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener("abort", cancel, { once: true });
  try {
    for (;;) {
      clearTimeout(idle);
      idle = setTimeout(() => ((silent = true), cancel()), idleMs);
      // A connection cut mid-body is a network loss: the caller resumes.
      const { value, done } = await reader.read().catch((error: unknown) => {
        throw new TypeError("The job stream was cut.", { cause: error });
      });
      signal?.throwIfAborted();
      if (silent) throw new TypeError("The job stream went silent.");
      if (done) return;
      parser.feed(decoder.decode(value, { stream: true }));
      for (const event of events.splice(0)) if (event.event === "job") yield { id: event.id, job: JSON.parse(event.data) as J };
    }
  } finally {
    clearTimeout(idle);
    signal?.removeEventListener("abort", cancel);
    cancel();
  }
}
