import type { FastifyReply, FastifyRequest } from "fastify";
import { eventStreamHeartbeat, firstStreamStep, formatServerSentEvent, isTerminal, jobETag } from "async-jobs/protocol";
import { toJob } from "../store/job-representation.ts";
import type { JobStore, StoredJob } from "../store/job-store.ts";
import { startEventStream } from "./event-stream-response.ts";

/** Options of {@link streamJob}. */
export interface JobStreamOptions {
  store: JobStore;
  /** Gap between comment heartbeats, ms: under every idle timeout on the way (ours is 60 s). @default 15000 */
  heartbeatMs?: number;
  /** The reconnect delay suggested in `retry:`, ms. */
  retryMs: number;
  /** Aborted on shutdown: the stream ends (the client resumes with `Last-Event-ID`). */
  closing?: AbortSignal | undefined;
}

/** The defaults of {@link streamJob} (spec §2: a heartbeat at least every 15 s). */
export const defaultJobStreamOptions = { heartbeatMs: 15_000 } as const;

/**
 * Answers `GET /v1/jobs/{id}` as a job stream (spec §2, "Watching a job"): the current
 * representation as `event: job` with its ETag as `id`, then one event per change (re-read on
 * each wake, so changes coalesce and never go back), ending after the terminal one. Woken by the
 * store's change notifier, so a change committed by any process reaches it as it reaches a long
 * poll. Writes to the raw socket: nothing buffers or compresses the events.
 *
 * @example
 * if (acceptsEventStream(request.headers.accept)) return streamJob({ store, retryMs: 1000 }, request, reply, job);
 */
export async function streamJob(options: JobStreamOptions, request: FastifyRequest, reply: FastifyReply, found: StoredJob): Promise<void> {
  const { store } = options;
  const heartbeatMs = options.heartbeatMs ?? defaultJobStreamOptions.heartbeatMs;
  const raw = startEventStream(reply, { vary: "Prefer, Accept" });

  let wake: () => void = () => {};
  let changed = false;
  let closed = false;
  // Subscribe before reading, so a change committed in between still wakes us.
  let wokeAt = 0;
  const unsubscribe = store.changes.onJob(found.id, () => {
    changed = true;
    wokeAt = ++order;
    wake();
  });
  const onClose = () => {
    closed = true;
    wake();
  };
  raw.once("close", onClose);
  options.closing?.addEventListener("abort", onClose, { once: true });
  if (options.closing?.aborted) closed = true;
  const lastEventId = header(request.headers["last-event-id"]);
  try {
    raw.write(formatServerSentEvent({ retry: options.retryMs }));
    let job = (await store.getJob(found.tenant, found.id)) ?? found;
    let sent = -1; // the version last sent
    const send = (j: StoredJob) => {
      raw.write(jobEvent(j));
      sent = j.version;
    };
    const step = firstStreamStep({ etag: jobETag(job.version), terminal: isTerminal(job.status), lastEventId });
    if (step === "end" || closed) return;
    if (step === "send") send(job);
    else sent = job.version;
    while (!isTerminal(job.status) && !closed) {
      if (!changed) {
        const woke = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), heartbeatMs);
          wake = () => {
            clearTimeout(timer);
            resolve(true);
          };
        });
        if (closed) return;
        if (!woke) {
          raw.write(eventStreamHeartbeat);
          continue;
        }
      }
      changed = false;
      const fresh = await readAfter(store, found.tenant, found.id, wokeAt);
      if (!fresh) return; // swept by retention: nothing more will come
      // Never older than what was sent: a read racing two commits may see either.
      if (fresh.version > sent) {
        job = fresh;
        if (!closed) send(job);
      }
    }
  } catch (error) {
    // The store failed (busy, connection lost): end the stream; the client resumes with Last-Event-ID.
    request.log.warn({ err: error }, "job stream ended by an error");
  } finally {
    unsubscribe();
    raw.off("close", onClose);
    options.closing?.removeEventListener("abort", onClose);
    // Ended a turn later: the other streams woken by the same change write their event first.
    setImmediate(() => raw.destroyed || raw.end());
  }
}

// Every stream of a job wakes on the same change: one read and one serialisation serve them all
// (a thousand streams on one job would otherwise be a thousand reads per change).
let order = 0;
const sharedReads = new WeakMap<JobStore, Map<string, { startedAt: number; job: Promise<StoredJob | undefined> }>>();
const eventTexts = new WeakMap<StoredJob, string>();

/** The job as read by a read started after `since` (a wake's place in `order`): one that sees the change that woke us. */
function readAfter(store: JobStore, tenant: string, id: string, since: number): Promise<StoredJob | undefined> {
  let reads = sharedReads.get(store);
  if (!reads) sharedReads.set(store, (reads = new Map()));
  const key = `${tenant}\0${id}`;
  const current = reads.get(key);
  if (current && current.startedAt > since) return current.job;
  const entry = { startedAt: ++order, job: store.getJob(tenant, id) };
  reads.set(key, entry);
  const forget = () => {
    if (reads.get(key) === entry) reads.delete(key);
  };
  entry.job.then(forget, forget);
  return entry.job;
}

/** The `event: job` text of a stored job, made once per read. */
function jobEvent(job: StoredJob): string {
  let text = eventTexts.get(job);
  if (text === undefined) {
    text = formatServerSentEvent({ event: "job", id: jobETag(job.version), data: JSON.stringify(toJob(job)) });
    eventTexts.set(job, text);
  }
  return text;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
