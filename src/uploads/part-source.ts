import { AsyncJobsError } from "../errors.ts";

/**
 * A part's bytes as a transport sends them: a `Blob` slice (never read into memory by a browser),
 * a `Uint8Array`, or a body that streams from elsewhere (the Node entry's file ranges). A body
 * can be sent again on retry.
 *
 * @example
 * const body: PartBody = file.slice(0, 5 * 2 ** 20)
 */
export type PartBody = Blob | Uint8Array | StreamingPartBody;

/**
 * A body read fresh from its origin on every send, so a part is never held in memory.
 *
 * @example
 * const body: StreamingPartBody = { size: 3, stream: () => fs.createReadStream(path, { start: 0, end: 2 }) }
 */
export interface StreamingPartBody {
  readonly size: number;
  stream(): AsyncIterable<Uint8Array>;
}

/**
 * Where an upload's bytes come from. Random-access sources (`sequential: false`) read any part
 * at any time, so parts go in parallel and a resume skips stored parts without reading them;
 * a sequential source (a stream) must be read in order, part after part.
 *
 * @example
 * const source = toPartSource(file); const first = await source.read(0, 5 * 2 ** 20)
 */
export interface PartSource {
  readonly size: number;
  readonly sequential: boolean;
  /** The bytes `[start, end)`. A sequential source must be asked in order, without gaps. */
  read(start: number, end: number, signal?: AbortSignal): Promise<PartBody>;
  /** The whole source in order, for the checksum of a random-access source. */
  chunks?(signal?: AbortSignal): AsyncIterable<Uint8Array>;
  /** Releases what the source holds open (a file handle, a stream reader). */
  close?(): Promise<void>;
  /**
   * What identifies this source's content without reading it (a file's name, size and
   * modification time), for `resume: "auto"`; absent when nothing does.
   */
  readonly fingerprint?: string | undefined;
}

/**
 * What `uploadFile` accepts: a `Blob`/`File`, bytes in memory, or a `ReadableStream` (whose
 * size the caller gives). A `PartSource` plugs in anything else.
 *
 * @example
 * const source: UploadSource = input.files[0]
 */
export type UploadSource = Blob | ArrayBuffer | ArrayBufferView | ReadableStream<Uint8Array> | PartSource;

/** Bytes handed to the hasher at a time, so hashing a Blob never holds more than this. */
const chunkSize = 1024 * 1024;

/**
 * Turns what the caller passed into a `PartSource`. A stream needs `size`: the server plans
 * the parts before the first byte is read.
 *
 * @example
 * const source = toPartSource(new Uint8Array([1, 2, 3]))
 */
export function toPartSource(source: UploadSource, size?: number): PartSource {
  if (typeof Blob !== "undefined" && source instanceof Blob) return blobSource(source);
  if (source instanceof ArrayBuffer) return bytesSource(new Uint8Array(source));
  if (ArrayBuffer.isView(source)) return bytesSource(new Uint8Array(source.buffer, source.byteOffset, source.byteLength));
  if (typeof ReadableStream !== "undefined" && source instanceof ReadableStream) {
    if (size === undefined) throw new TypeError("uploadFile: a ReadableStream source needs options.size");
    return streamSource(source as ReadableStream<Uint8Array>, size);
  }
  if (isPartSource(source)) return source;
  throw new TypeError("uploadFile: the source must be a Blob, an ArrayBuffer, a typed array, a ReadableStream or a PartSource");
}

function isPartSource(source: unknown): source is PartSource {
  return typeof source === "object" && source !== null && typeof (source as PartSource).read === "function";
}

/**
 * A `Blob` or `File`: each part is a slice, which browsers stream from disk when sent.
 *
 * @example
 * const source = blobSource(file)
 */
export function blobSource(blob: Blob): PartSource {
  return {
    size: blob.size,
    sequential: false,
    fingerprint: typeof File !== "undefined" && blob instanceof File ? fileFingerprint(blob) : undefined,
    read: async (start, end) => blob.slice(start, end),
    async *chunks(signal) {
      for (let at = 0; at < blob.size; at += chunkSize) {
        signal?.throwIfAborted();
        yield new Uint8Array(await blob.slice(at, Math.min(at + chunkSize, blob.size)).arrayBuffer());
      }
    },
  };
}

/**
 * A browser `File`'s fingerprint: its name, size, last modification and type (spec-free: the
 * SDK's own key for `resume: "auto"`). A file picked again after a reload has the same one.
 *
 * @example
 * fileFingerprint(input.files[0]) // 'file:v1:["talk.mp4",209715200,1764000000000,"video/mp4"]'
 */
export function fileFingerprint(file: File): string {
  return `file:v1:${JSON.stringify([file.name, file.size, file.lastModified, file.type])}`;
}

/**
 * Bytes already in memory: each part is a view, never a copy.
 *
 * @example
 * const source = bytesSource(new TextEncoder().encode("hello"))
 */
export function bytesSource(bytes: Uint8Array): PartSource {
  return {
    size: bytes.byteLength,
    sequential: false,
    read: async (start, end) => bytes.subarray(start, end),
    async *chunks() {
      for (let at = 0; at < bytes.byteLength; at += chunkSize) yield bytes.subarray(at, at + chunkSize);
    },
  };
}

/**
 * A `ReadableStream` of known size, cut into parts as it flows: each `read` takes exactly the
 * next part's bytes, so at most the parts being sent are held in memory. Too few or too many
 * bytes fail the upload rather than store a different file.
 *
 * @example
 * const source = streamSource(response.body, Number(response.headers.get("content-length")))
 */
export function streamSource(stream: ReadableStream<Uint8Array>, size: number): PartSource {
  const reader = stream.getReader();
  let position = 0;
  let leftover: Uint8Array | undefined;
  let ended = false;

  async function next(): Promise<Uint8Array | undefined> {
    if (leftover) {
      const chunk = leftover;
      leftover = undefined;
      return chunk;
    }
    if (ended) return undefined;
    const { done, value } = await reader.read();
    if (done) ended = true;
    return value;
  }

  return {
    size,
    sequential: true,
    async read(start, end, signal) {
      if (start !== position) throw new RangeError(`A stream is read in order: asked for byte ${start} at byte ${position}`);
      const part = new Uint8Array(end - start);
      let filled = 0;
      while (filled < part.byteLength) {
        signal?.throwIfAborted();
        const chunk = await next();
        if (!chunk) throw new AsyncJobsError(`The stream ended after ${position + filled} bytes; its size was given as ${size}`);
        const take = Math.min(chunk.byteLength, part.byteLength - filled);
        part.set(chunk.subarray(0, take), filled);
        filled += take;
        if (take < chunk.byteLength) leftover = chunk.subarray(take);
      }
      position = end;
      if (end === size) {
        // The last part: a stream longer than its declared size is a different file.
        let extra = await next();
        while (extra && extra.byteLength === 0) extra = await next();
        if (extra) throw new AsyncJobsError(`The stream has more than the ${size} bytes its size was given as`);
      }
      return part;
    },
    async close() {
      await reader.cancel().catch(() => {});
    },
  };
}
