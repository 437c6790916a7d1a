import { transportOf } from "../internal/transport.ts";
import type { HasTransport } from "../internal/request.ts";
import type { Upload } from "../types.ts";
import { createFetchPartTransport } from "./fetch-part-transport.ts";
import { createPartUrlBook } from "./part-url-book.ts";
import { toPartSource, type PartBody, type PartSource, type UploadSource } from "./part-source.ts";
import type { PartTransport } from "./part-transport.ts";
import { planParts } from "../protocol/part-plan.ts";
import { partRanges, type PartRange } from "./part-ranges.ts";
import { createProgressTracker, type UploadProgress } from "./progress.ts";
import { putPart } from "./put-part.ts";
import { createSha256, sha256OfChunks, type CreateSha256 } from "./sha256-stream.ts";
import { createUploadApi } from "./upload-api.ts";
import { createUploadHandle, type UploadHandle, type UploadHandleState } from "./upload-handle.ts";
import type { UploadResumeStore } from "./resume-store.ts";
import { findResumeTarget } from "./resume-target.ts";
import { createXhrPartTransport } from "./xhr-part-transport.ts";

/**
 * Options of `uploadFile`. All optional; a `ReadableStream` source also needs `size`.
 *
 * @example
 * await uploadFile(client, file, { concurrency: 8, checksum: true, onProgress: (p) => bar.set(p.loadedBytes) })
 */
export interface UploadFileOptions {
  /** Name stored with the upload. @default the `File`'s name, else "upload.bin" */
  filename?: string | undefined;
  /** Media type stored with the upload. @default the `Blob`'s type, else "application/octet-stream" */
  contentType?: string | undefined;
  /** Size in bytes; required for a `ReadableStream`, checked against the others. @default the source's size */
  size?: number | undefined;
  /** Part size to ask for; the server decides (its `part_size` wins). @default 8 MiB (grown to fit 10,000 parts) */
  partSize?: number | undefined;
  /** Parts sent (and held in memory) at once. @default 4 */
  concurrency?: number | undefined;
  /** Hash the whole file (SHA-256) as it flows and declare it at complete; the server verifies it. @default false */
  checksum?: boolean | undefined;
  /** Called as bytes go out: throttled, monotonic, ending exactly at `totalBytes`. */
  onProgress?: ((progress: UploadProgress) => void) | undefined;
  /** Minimum time between two progress events. @default 100 */
  progressIntervalMs?: number | undefined;
  /** Aborts in-flight PUTs at once; the upload stays pending, so `resume` can finish it. */
  signal?: AbortSignal | undefined;
  /**
   * Continue a pending upload instead of creating one; stored parts are skipped (a stream is read
   * past them, not sent). Its id; or a handle's state (`JSON.stringify(handle)`, from another
   * process: same server, and the same source when it carries a fingerprint); or `"auto"`: the
   * source's fingerprint is looked up in `resumeStore`, the upload found there is continued if the
   * server still has it pending, else a new one is made and recorded there until it completes.
   */
  resume?: string | UploadHandleState | "auto" | undefined;
  /** Where `resume: "auto"` keeps each source's upload. @default `localStorage` in browsers, else memory (the Node entry: a JSON file) */
  resumeStore?: UploadResumeStore | undefined;
  /** The source's fingerprint for `resume: "auto"` (required for a stream). @default its name, size and modification time, else a content sample */
  fingerprint?: string | undefined;
  /** Add a SHA-256 of the source's first and last 64 KiB to its fingerprint (catches a file rewritten in place). @default false */
  fingerprintSample?: boolean | undefined;
  /** Called once the upload exists: persist `upload.id` to resume after a crash or a reload. */
  onUploadCreated?: ((upload: Upload) => void) | undefined;
  /** Called once the upload is known (created or resumed) with its live handle: `JSON.stringify(handle)` at any time. */
  onHandle?: ((handle: UploadHandle) => void) | undefined;
  /** Retries of each part on network errors and `5xx`. @default 5 */
  retries?: number | undefined;
  /** A part whose bytes stop moving this long is abandoned and retried (XHR and node:http report progress; fetch does not, so it is not watched). @default 60000 */
  stallTimeoutMs?: number | undefined;
  /** How parts are sent. @default XHR in browsers (progress within a part), else the client's fetch */
  transport?: PartTransport | undefined;
  /** The incremental SHA-256 for `checksum`. @default `@noble/hashes` (the Node entry uses node:crypto) */
  createSha256?: CreateSha256 | undefined;
}

/** The defaults, in one place. @example defaultUploadFileOptions.concurrency // 4 */
export const defaultUploadFileOptions = {
  concurrency: 4,
  checksum: false,
  progressIntervalMs: 100,
  retries: 5,
  stallTimeoutMs: 60_000,
} as const satisfies UploadFileOptions;

/**
 * Uploads a file with the contract's one flow for every size (spec §4): create the upload,
 * PUT its parts to their signed URLs (at most `concurrency` at once, each retried and its URL
 * renewed as needed), then complete with the parts' ETags. Returns the completed Upload, whose
 * `id` goes into a job's input. On error or abort the upload stays pending and resumable.
 *
 * @example
 * const upload = await uploadFile(client, input.files[0], { onProgress: (p) => show(p) })
 * await client.jobs.submitAndWait({ type: "file.checksum", input: { upload_id: upload.id } })
 */
export function uploadFile(client: HasTransport, source: Blob | ArrayBuffer | ArrayBufferView | PartSource, options?: UploadFileOptions): Promise<Upload>;
/** A stream is cut into parts as it flows; its size must be known up front. */
export function uploadFile(
  client: HasTransport,
  source: ReadableStream<Uint8Array>,
  options: UploadFileOptions & { size: number },
): Promise<Upload>;
export async function uploadFile(client: HasTransport, source: UploadSource, options: UploadFileOptions = {}): Promise<Upload> {
  const concurrency = options.concurrency ?? defaultUploadFileOptions.concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a whole number ≥ 1, got ${concurrency}`);
  const src = toPartSource(source, options.size);
  if (options.size !== undefined && options.size !== src.size) {
    throw new RangeError(`options.size is ${options.size} but the source has ${src.size} bytes`);
  }
  const controller = new AbortController();
  const outer = options.signal;
  const onAbort = () => controller.abort(outer?.reason);
  outer?.throwIfAborted();
  outer?.addEventListener("abort", onAbort, { once: true });
  try {
    return await run(client, src, source, options, concurrency, controller);
  } finally {
    outer?.removeEventListener("abort", onAbort);
    await src.close?.();
  }
}

async function run(
  client: HasTransport,
  src: PartSource,
  source: UploadSource,
  options: UploadFileOptions,
  concurrency: number,
  controller: AbortController,
): Promise<Upload> {
  const signal = controller.signal;
  const api = createUploadApi(client);
  const clientOptions = transportOf(client).options;

  const createHash = options.createSha256 ?? createSha256;
  const target = await findResumeTarget({
    api,
    baseUrl: clientOptions.baseUrl,
    source: src,
    resume: options.resume,
    store: options.resumeStore,
    fingerprint: options.fingerprint,
    sample: options.fingerprintSample ?? false,
    createSha256: createHash,
    signal,
  });
  let upload: Upload;
  if (target.upload) {
    upload = target.upload;
    if (upload.size !== src.size) throw new RangeError(`Upload ${upload.id} is ${upload.size} bytes; the source has ${src.size}`);
    if (upload.status === "completed") {
      await target.forget();
      return upload;
    }
  } else {
    upload = await api.create(
      {
        filename: options.filename ?? fileName(source) ?? "upload.bin",
        content_type: options.contentType ?? (blobType(source) || "application/octet-stream"),
        size: src.size,
        // The caller's hint goes as given (a server may allow parts under 5 MiB); no hint, the S3 plan.
        part_size: options.partSize ?? planParts(src.size).partSize,
      },
      signal,
    );
    await target.remember(upload);
    options.onUploadCreated?.(upload);
  }

  const ranges = partRanges(upload.parts, src.size);
  const etags = new Map<number, string>();
  for (const part of upload.parts) if (part.etag) etags.set(part.number, part.etag);
  // A handle names its source even without "auto" when that costs no read (a file's metadata).
  const fingerprint = target.fingerprint ?? options.fingerprint ?? src.fingerprint ?? null;
  options.onHandle?.(createUploadHandle({ baseUrl: clientOptions.baseUrl, upload, fingerprint, etags }));
  const progress = createProgressTracker({
    totalBytes: src.size,
    partCount: ranges.length,
    onProgress: options.onProgress,
    intervalMs: options.progressIntervalMs ?? defaultUploadFileOptions.progressIntervalMs,
    stored: ranges.filter((r) => etags.has(r.number)).map((r) => ({ number: r.number, size: r.end - r.start })),
  });

  // A stream is read in order, stored parts included (skipped bytes still have to flow past);
  // a random-access source only reads the parts it sends.
  const queue = src.sequential ? ranges : ranges.filter((r) => !etags.has(r.number));
  const urls = createPartUrlBook({
    api,
    uploadId: upload.id,
    parts: upload.parts,
    order: queue.filter((r) => !etags.has(r.number)).map((r) => r.number),
    signal,
  });
  const transport = options.transport ?? defaultPartTransport(clientOptions.fetch);
  const retry = {
    retries: options.retries ?? defaultUploadFileOptions.retries,
    stallTimeoutMs: options.stallTimeoutMs ?? defaultUploadFileOptions.stallTimeoutMs,
    policy: clientOptions.retry,
    engine: transportOf(client).engine,
  };

  const checksum = options.checksum ?? defaultUploadFileOptions.checksum;
  const streamHash = checksum && src.sequential ? await createHash() : undefined;
  // A random-access source is hashed by a second, sequential pass that runs beside the PUTs.
  if (checksum && !src.sequential && !src.chunks) throw new TypeError("checksum: this source cannot be read in order");
  const hashPass = checksum && !src.sequential ? sha256OfChunks(src.chunks!(signal), createHash, signal) : undefined;
  hashPass?.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled

  let reading: Promise<unknown> = Promise.resolve();
  let next = 0;
  const readInOrder = (range: PartRange): Promise<PartBody> => {
    // Chained so that a stream's parts are read one after another, in queue order.
    const read = reading.then(async () => {
      const body = await src.read(range.start, range.end, signal);
      if (streamHash) streamHash.update(body as Uint8Array);
      return body;
    });
    reading = read.catch(() => {});
    return read;
  };

  async function worker(): Promise<void> {
    while (next < queue.length && !signal.aborted) {
      const range = queue[next++]!;
      const body = src.sequential ? await readInOrder(range) : await src.read(range.start, range.end, signal);
      if (etags.has(range.number)) continue;
      const size = range.end - range.start;
      const part = await urls.get(range.number);
      const etag = await putPart({
        transport,
        part,
        body,
        signal,
        renew: (n) => urls.renew(n),
        retry,
        onBytesSent: (bytes) => progress.partBytes(range.number, Math.min(bytes, size)),
      });
      etags.set(range.number, etag);
      progress.partDone(range.number, size);
    }
  }

  try {
    await all(Array.from({ length: Math.min(concurrency, Math.max(queue.length, 1)) }, () => worker), controller);
    const sha256 = streamHash ? streamHash.digestHex() : await hashPass;
    progress.flush();
    const completed = await api.complete(
      upload.id,
      { parts: ranges.map((r) => ({ number: r.number, etag: etags.get(r.number)! })), ...(sha256 ? { sha256 } : {}) },
      signal,
    );
    await target.forget();
    return completed;
  } finally {
    progress.stop();
  }
}

/** Runs the workers; the first failure aborts the others at once and is what is thrown. */
async function all(workers: (() => Promise<void>)[], controller: AbortController): Promise<void> {
  let failed = false;
  let first: unknown;
  await Promise.all(
    workers.map((work) =>
      work().catch((error: unknown) => {
        if (!failed) {
          failed = true;
          first = error;
          if (!controller.signal.aborted) controller.abort(error);
        }
      }),
    ),
  );
  // After an abort by the caller every worker fails with (or stops on) the caller's reason.
  if (failed || controller.signal.aborted) throw controller.signal.aborted ? controller.signal.reason : first;
}

function defaultPartTransport(fetchFn: typeof fetch): PartTransport {
  // XHR is the only browser API that reports upload progress within a part.
  return typeof XMLHttpRequest === "function" ? createXhrPartTransport() : createFetchPartTransport(fetchFn);
}

function fileName(source: UploadSource): string | undefined {
  return typeof File !== "undefined" && source instanceof File && source.name ? source.name : undefined;
}

function blobType(source: UploadSource): string {
  return typeof Blob !== "undefined" && source instanceof Blob ? source.type : "";
}
