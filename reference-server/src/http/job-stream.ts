import type { ServerResponse } from "node:http";
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

/** The defaults of {@link streamJob} (spec §8.2: a heartbeat at least every 15 s). */
export const defaultJobStreamOptions = { heartbeatMs: 15_000 } as const;

/**
 * Answers `GET /v1/jobs/{id}` as a job stream (spec §8.2): the current representation as
 * `event: job` with its ETag as `id`, then one event per change (coalesced, never older than the
 * last sent), ending after the terminal one. Woken by the store's change notifier, so a change
 * committed by any process reaches it as it reaches a long poll. Every stream of a job shares
 * one fan-out: one store read and one event text per change, written to each stream in one
 * loop (see {@link JobFanOut}). Resolves when the stream has ended.
 *
 * @example
 * if (acceptsEventStream(request.headers.accept)) return streamJob({ store, retryMs: 1000 }, request, reply, job);
 */
export async function streamJob(options: JobStreamOptions, request: FastifyRequest, reply: FastifyReply, found: StoredJob): Promise<void> {
  const raw = startEventStream(reply, { vary: "Prefer, Accept" });
  const stream = createStreamState(raw, options.heartbeatMs ?? defaultJobStreamOptions.heartbeatMs, options.closing);
  if (stream.closed) {
    stream.finish();
    return;
  }
  // Joined before reading, so a change committed in between still reaches this stream.
  const fanOut = joinFanOut(options.store, found, stream);
  try {
    stream.write(formatServerSentEvent({ retry: options.retryMs }));
    const job = (await options.store.getJob(found.tenant, found.id)) ?? found;
    if (stream.closed) return await stream.ended;
    const lastEventId = header(request.headers["last-event-id"]);
    const step = firstStreamStep({ etag: jobETag(job.version), terminal: isTerminal(job.status), lastEventId });
    if (step === "end") stream.finish();
    else fanOut.start(stream, job, step === "send");
  } catch (error) {
    // The store failed (busy, connection lost): end the stream; the client resumes with Last-Event-ID.
    request.log.warn({ err: error }, "job stream ended by an error");
    stream.finish();
  }
  return stream.ended;
}

// ---- one open stream ---------------------------------------------------------------------------

interface StreamState {
  /** The version last sent (or known to the client through `Last-Event-ID`); -1 before the first. */
  sent: number;
  /** Whether the first step is done (until then the fan-out only notes that it missed a change). */
  started: boolean;
  missed: boolean;
  closed: boolean;
  lastWriteAt: number;
  readonly ended: Promise<void>;
  write(chunk: string | Buffer): void;
  /**
   * Ends the stream (idempotent): leaves every shared structure, then closes the socket a turn
   * later; or at once with `last` as the last bytes (the terminal event and the end of the
   * answer in one write).
   */
  finish(last?: Buffer): void;
  /** Run by finish, to leave the fan-out. */
  leave: () => void;
}

function createStreamState(raw: ServerResponse, heartbeatMs: number, closing: AbortSignal | undefined): StreamState {
  let resolveEnded!: () => void;
  let finished = false;
  const heartbeat = heartbeatSweep(heartbeatMs);
  const stream: StreamState = {
    sent: -1,
    started: false,
    missed: false,
    closed: false,
    lastWriteAt: performance.now(),
    ended: new Promise<void>((resolve) => (resolveEnded = resolve)),
    write(chunk) {
      if (stream.closed) return;
      raw.write(chunk);
      stream.lastWriteAt = performance.now();
    },
    leave: () => {},
    finish(last) {
      if (finished) return;
      finished = stream.closed = true;
      raw.off("close", onClose);
      heartbeat.delete(stream);
      closingStreams(closing)?.delete(stream);
      stream.leave();
      if (last) raw.end(last);
      else endSoon(raw);
      resolveEnded();
    },
  };
  const onClose = () => stream.finish();
  raw.once("close", onClose);
  heartbeat.add(stream);
  if (closing?.aborted) stream.closed = true;
  else closingStreams(closing)?.add(stream);
  return stream;
}

// Ended a turn later, all at once (a shutdown, a store error): the other streams ended by the
// same cause leave their shared structures first.
let ending: ServerResponse[] = [];
function endSoon(raw: ServerResponse) {
  if (ending.push(raw) > 1) return;
  setImmediate(() => {
    const batch = ending;
    ending = [];
    for (const r of batch) if (!r.destroyed) r.end();
  });
}

// One listener per shutdown signal for all its streams (a listener each would make every
// removal walk a thousand others).
const onClosing = new WeakMap<AbortSignal, Set<StreamState>>();
function closingStreams(closing: AbortSignal | undefined): Set<StreamState> | undefined {
  if (!closing) return undefined;
  let streams = onClosing.get(closing);
  if (!streams) {
    const set = (streams = new Set());
    onClosing.set(closing, set);
    closing.addEventListener("abort", () => [...set].forEach((s) => s.finish()), { once: true });
  }
  return streams;
}

// One timer per heartbeat period for every stream: each sweep, at half the period, writes a
// comment to the streams silent for half a period or more, so no gap exceeds the period (spec §8.2).
const sweeps = new Map<number, Set<StreamState>>();
function heartbeatSweep(periodMs: number): Set<StreamState> {
  let streams = sweeps.get(periodMs);
  if (!streams) {
    const set = (streams = new Set());
    sweeps.set(periodMs, set);
    const heartbeatBytes = Buffer.from(eventStreamHeartbeat);
    const timer = setInterval(() => {
      const silentSince = performance.now() - periodMs / 2;
      for (const stream of set) if (stream.lastWriteAt <= silentSince) stream.write(heartbeatBytes);
      if (set.size === 0) {
        clearInterval(timer);
        sweeps.delete(periodMs);
      }
    }, periodMs / 2);
    timer.unref();
  }
  return streams;
}

// ---- the fan-out of one job ---------------------------------------------------------------------

/**
 * The open streams of one job in this process, behind one change subscription: a change starts
 * one store read (a change during it, one more read after it, so the newest commit is always
 * read) and the event text is made once, then written to every stream that has not sent that
 * version yet. A thousand streams on one job cost one read and one `JSON.stringify` per change.
 */
interface JobFanOut {
  readonly streams: Set<StreamState>;
  /** Sends the first step's representation (or marks it known) and lets changes through. */
  start(stream: StreamState, job: StoredJob, send: boolean): void;
  /** Unsubscribes, once the last stream left. */
  close(): void;
}

const fanOuts = new WeakMap<JobStore, Map<string, JobFanOut>>();

function joinFanOut(store: JobStore, found: StoredJob, stream: StreamState): JobFanOut {
  let byJob = fanOuts.get(store);
  if (!byJob) fanOuts.set(store, (byJob = new Map()));
  const key = `${found.tenant}\0${found.id}`;
  let fanOut = byJob.get(key);
  if (!fanOut) {
    fanOut = createJobFanOut(store, found.tenant, found.id, () => byJob.delete(key));
    byJob.set(key, fanOut);
  }
  const { streams } = fanOut;
  streams.add(stream);
  stream.leave = () => {
    streams.delete(stream);
    if (streams.size === 0) fanOut.close();
  };
  return fanOut;
}

function createJobFanOut(store: JobStore, tenant: string, id: string, forget: () => void): JobFanOut {
  const streams = new Set<StreamState>();
  let reading = false;
  let again = false;

  const deliver = (job: StoredJob, to: Iterable<StreamState>) => {
    let bytes: Buffer | undefined;
    const terminal = isTerminal(job.status);
    for (const stream of to) {
      if (!stream.started || stream.closed || job.version <= stream.sent) continue;
      bytes ??= jobEvent(job);
      stream.sent = job.version;
      // The terminal event is the last (spec §8.2): sent with the end of the answer, one write per socket.
      if (terminal) stream.finish(bytes);
      else stream.write(bytes);
    }
  };

  async function read() {
    if (reading) return void (again = true);
    reading = true;
    try {
      do {
        again = false;
        for (const stream of streams) if (!stream.started) stream.missed = true;
        const job = await store.getJob(tenant, id);
        // Swept by retention: nothing more will come.
        if (!job) return [...streams].forEach((s) => s.started && s.finish());
        deliver(job, [...streams]);
      } while (again && streams.size > 0);
    } catch {
      // The store failed (busy, connection lost): end the streams; clients resume with Last-Event-ID.
      for (const stream of [...streams]) if (stream.started) stream.finish();
    } finally {
      reading = false;
    }
  }

  const unsubscribe = store.changes.onJob(id, () => void read());
  return {
    streams,
    start(stream, job, send) {
      stream.started = true;
      if (send) deliver(job, [stream]);
      else stream.sent = job.version;
      // A change came while this stream read its first representation: read once more.
      if (stream.missed && !stream.closed) void read();
    },
    close() {
      unsubscribe();
      forget();
    },
  };
}

const eventBytes = new WeakMap<StoredJob, Buffer>();

/** The `event: job` of a stored job, serialised and encoded once per read (not once per stream). */
function jobEvent(job: StoredJob): Buffer {
  let bytes = eventBytes.get(job);
  if (bytes === undefined) {
    bytes = Buffer.from(formatServerSentEvent({ event: "job", id: jobETag(job.version), data: JSON.stringify(toJob(job)) }));
    eventBytes.set(job, bytes);
  }
  return bytes;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
