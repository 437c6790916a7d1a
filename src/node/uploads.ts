// async-jobs/uploads/node: Node-only helpers for uploads (node:* stays out of the SDK
// proper). A file path read at offsets, so parts go in parallel and a resume reads only what it
// sends; and a node:http(s) part transport that streams each part body from disk, because
// Node's fetch keeps a streamed request body in memory (undici issue 4058).
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { request as httpRequest, type Agent as HttpAgent, type IncomingMessage } from "node:http";
import { request as httpsRequest, type Agent as HttpsAgent } from "node:https";
import { basename, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { NetworkError } from "../errors.ts";
import type { HasTransport } from "../internal/request.ts";
import type { Upload } from "../types.ts";
import { isStreamingPartBody } from "../uploads/part-transport.ts";
import type { PartBody, PartSource, UploadSource } from "../uploads/part-source.ts";
import type { PartTransport } from "../uploads/part-transport.ts";
import type { Sha256 } from "../uploads/sha256-stream.ts";
import { uploadFile as uploadAny, type UploadFileOptions } from "../uploads/upload-file.ts";
import { createFileResumeStore } from "./file-resume-store.ts";

export { createFileResumeStore, defaultResumeStorePath } from "./file-resume-store.ts";

/** Read size of file streams: big enough for throughput, small enough to keep memory flat. */
const highWaterMark = 1024 * 1024;

/**
 * A file on disk as an upload source. Each part is a byte range streamed from the file when it is
 * sent (and again on retry), so memory stays flat whatever the file size, and parts read in any
 * order (parallel sends, resume without reading stored parts).
 *
 * @example
 * const source = await fileSource("./talk.mp4"); await uploadFile(client, source)
 */
export async function fileSource(path: string | URL): Promise<PartSource & { path: string }> {
  const file = resolve(typeof path === "string" ? path : fileURLToPath(path));
  const { size, mtimeMs } = await stat(file);
  return {
    path: file,
    size,
    sequential: false,
    // A file rewritten in place keeps its path but not its mtime (resume: "auto" then starts afresh).
    fingerprint: `path:v1:${JSON.stringify([file, size, mtimeMs])}`,
    read: async (start, end) =>
      end === start
        ? new Uint8Array(0)
        : { size: end - start, stream: () => createReadStream(file, { start, end: end - 1, highWaterMark }) },
    chunks: () => createReadStream(file, { highWaterMark }),
  };
}

/**
 * Node's own SHA-256 (OpenSSL, several times faster than a JavaScript one).
 *
 * @example
 * await uploadFile(client, "./big.bin", { checksum: true, createSha256: createNodeSha256 })
 */
export function createNodeSha256(): Sha256 {
  const hash = createHash("sha256");
  return { update: (bytes) => void hash.update(bytes), digestHex: () => hash.digest("hex") };
}

/**
 * Sends parts with `node:http`/`node:https`, piping the body to the socket with backpressure:
 * nothing is buffered beyond one read, and progress counts bytes as they are written.
 *
 * @example
 * await uploadFile(client, "./big.bin", { transport: createNodePartTransport({ agent }) })
 */
export function createNodePartTransport(options: { agent?: HttpAgent | HttpsAgent | undefined } = {}): PartTransport {
  return ({ url, method, headers, body, signal, onBytesSent }) => {
    signal.throwIfAborted();
    const target = new URL(url);
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      let answered = false;
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        reject(signal.aborted ? signal.reason : new NetworkError(`${method} ${target.origin}${target.pathname}: ${(error as Error)?.message ?? String(error)}`, { cause: error }));
      };
      const req = send(target, {
        method,
        headers: { ...headers, "content-length": String(sizeOf(body)) },
        signal,
        ...(options.agent ? { agent: options.agent } : {}),
      });
      // A server may answer before it has read the body (a refused signature, a size mismatch)
      // and close: the write error that follows is moot, the answer is what counts.
      const failUnlessAnswered = (error: unknown) => {
        if (!answered) fail(error);
      };
      req.on("error", failUnlessAnswered);
      req.on("response", (res: IncomingMessage) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", fail);
        res.on("aborted", () => fail(new Error("the answer was cut off")));
        res.on("end", () => {
          if (settled) return;
          settled = true;
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(", ") : value);
          }
          const status = res.statusCode ?? 500;
          const text = Buffer.concat(chunks).toString("utf8");
          resolve(new Response(status === 204 || status === 304 ? null : text, { status, headers: responseHeaders }));
        });
      });
      let sent = 0;
      const counted = Readable.from(chunksOf(body)).on("data", (chunk: Uint8Array) => {
        sent += chunk.byteLength;
        onBytesSent?.(sent);
      });
      pipeline(counted, req).catch(failUnlessAnswered);
    });
  };
}

function sizeOf(body: PartBody): number {
  return body instanceof Uint8Array ? body.byteLength : body.size;
}

async function* chunksOf(body: PartBody): AsyncIterable<Uint8Array> {
  if (body instanceof Uint8Array) {
    // Slices keep each write small, so progress moves within a part held in memory too.
    for (let at = 0; at < body.byteLength; at += highWaterMark) yield body.subarray(at, at + highWaterMark);
  } else if (isStreamingPartBody(body)) yield* body.stream();
  else yield* body.stream() as unknown as AsyncIterable<Uint8Array>;
}

/**
 * `uploadFile` for Node: also takes a file path (or `file:` URL), and sends parts with
 * `node:http` and hashes with `node:crypto` unless told otherwise; `resume: "auto"` keeps its
 * entries in a JSON file under the user's cache directory (`createFileResumeStore()`) unless
 * given another store. Same options and result as `async-jobs/uploads`.
 *
 * @example
 * import { uploadFile } from "async-jobs/uploads/node"
 * const upload = await uploadFile(client, "./export.csv", { checksum: true })
 */
export async function uploadFile(
  client: HasTransport,
  source: UploadSource | string | URL,
  options: UploadFileOptions = {},
): Promise<Upload> {
  const file = typeof source === "string" || source instanceof URL ? await fileSource(source) : undefined;
  const nodeOptions: UploadFileOptions = {
    transport: createNodePartTransport(),
    createSha256: createNodeSha256,
    ...(options.resume === "auto" && !options.resumeStore ? { resumeStore: createFileResumeStore() } : {}),
    ...stripUndefined(options),
    ...(file && options.filename === undefined ? { filename: basename(file.path) } : {}),
  };
  return uploadAny(client, (file ?? source) as PartSource, nodeOptions);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
