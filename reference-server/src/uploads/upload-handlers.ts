import type { FastifyInstance, FastifyRequest } from "fastify";
import { formatContentRange } from "async-jobs/protocol";
import { defaultServerConfig } from "../config.ts";
import { guardByteRate } from "../http/byte-rate-guard.ts";
import { discardBody } from "../http/discard-body.ts";
import type { OperationHandlers, OperationRequest } from "../http/operation-handler.ts";
import { ProblemError } from "../http/problems.ts";
import type { UploadService } from "./upload-service.ts";

/** The operations the uploads feature serves (spec §4). */
export type UploadOperationId = "createUpload" | "getUpload" | "abortUpload" | "createPartUrls" | "completeUpload" | "uploadPart" | "downloadFile";

/**
 * The route of signed part PUTs, as fastify names it.
 *
 * @example
 * request.routeOptions.url === PART_ROUTE
 */
export const PART_ROUTE = "/v1/uploads/:id/parts/:number";

// The unread rest of a refused part body is read and dropped up to this much; past it the
// connection is closed instead (a client sending gigabytes after a refusal is not waited for).
const DISCARD_LIMIT_BYTES = 16 * 1024 * 1024;

// Where the part body parser leaves a part's body stream for the handler.
const PART_BODY = Symbol("async-jobs.partBody");
type WithPartBody = FastifyRequest & { [PART_BODY]?: NodeJS.ReadableStream & AsyncIterable<Uint8Array> };

/** Options of {@link createUploadHandlers}. */
export interface UploadHandlersOptions {
  /**
   * The authenticated tenant of a request.
   * @default (request) => request.tenant
   */
  tenantOf?: (request: FastifyRequest) => string;
  /**
   * Base URL put in signed URLs (e.g. behind a proxy). By default the origin the client used
   * (`protocol://Host`), recorded on the upload so a worker elsewhere signs downloads alike.
   */
  publicUrl?: string | undefined;
  /** Slowest average a part body may arrive at, once `requestTimeoutMs` passed. @default defaultServerConfig.partMinBytesPerS */
  partMinBytesPerS?: number;
  /** The rate guard's grace, and how long a refused body's rest is waited for. @default defaultServerConfig.requestTimeoutMs */
  requestTimeoutMs?: number;
  /** Path the protocol is mounted under (a fastify plugin's prefix), appended to the client's origin. @default "" */
  basePath?: string | undefined;
}

/**
 * Lets a part's body through to its handler as a stream: no body limit, no buffering (a 5 GiB
 * part never sits in memory), and whatever its `Content-Type`, as S3 accepts for a header it did
 * not sign (spec §4): `curl -T` and a browser's `fetch(url, { method: "PUT", body: file })` send
 * the file's own type. The signature is checked by the handler before a byte is read. Other
 * routes of the uploads plugin stay JSON-only.
 *
 * @example
 * registerPartBody(app); // in the uploads plugin's context, before its routes
 */
export function registerPartBody(app: FastifyInstance): void {
  // Any type (or none) is read as raw bytes on the part route only.
  app.addHook("onRequest", (request, _reply, done) => {
    if (request.routeOptions.url === PART_ROUTE) request.headers["content-type"] = "application/octet-stream";
    done();
  });
  app.addContentTypeParser("application/octet-stream", (request, payload, done) => {
    if (request.routeOptions.url !== PART_ROUTE) {
      done(new ProblemError("unsupported_media_type", "Expected application/json, got application/octet-stream."), undefined);
      return;
    }
    (request as WithPartBody)[PART_BODY] = payload as WithPartBody[typeof PART_BODY];
    // The schema says the body is a string; the bytes themselves are streamed by the handler.
    done(null, "");
  });
}

/**
 * Fastify handlers for the upload operations, keyed by operationId and typed by their
 * operations in openapi.yaml (validated before they run). The service's refusals are
 * ProblemErrors already; they reach the core's error handler as they are.
 *
 * @example
 * const handlers = createUploadHandlers(service, { publicUrl: "https://jobs.example.com" });
 */
export function createUploadHandlers(uploads: UploadService, options: UploadHandlersOptions = {}): OperationHandlers<UploadOperationId> {
  const tenantOf = options.tenantOf ?? ((request: FastifyRequest) => request.tenant);
  const minBytesPerS = options.partMinBytesPerS ?? defaultServerConfig.partMinBytesPerS;
  const requestTimeoutMs = options.requestTimeoutMs ?? defaultServerConfig.requestTimeoutMs;
  const originOf = (request: FastifyRequest) => options.publicUrl?.replace(/\/+$/, "") ?? `${request.protocol}://${request.host}${options.basePath ?? ""}`;

  /** The part's bytes, guarded against trickles; the stream is not destroyed when we stop early. */
  function partBody(request: OperationRequest<"uploadPart">): AsyncIterable<Uint8Array> {
    const raw = (request as WithPartBody)[PART_BODY] ?? request.raw;
    const stream = "iterator" in raw && typeof raw.iterator === "function" ? raw.iterator({ destroyOnReturn: false }) : raw;
    return guardByteRate(stream, { minBytesPerS, graceMs: requestTimeoutMs });
  }

  return {
    async createUpload(request, reply) {
      const upload = await uploads.create(tenantOf(request), originOf(request), request.body);
      return reply.code(201).header("location", `/v1/uploads/${upload.id}`).send(upload);
    },
    async getUpload(request) {
      return uploads.get(tenantOf(request), request.params.id);
    },
    async abortUpload(request, reply) {
      await uploads.abort(tenantOf(request), request.params.id);
      return reply.code(204).send();
    },
    async createPartUrls(request) {
      return uploads.partUrls(tenantOf(request), request.params.id, request.body.numbers);
    },
    async completeUpload(request) {
      return uploads.complete(tenantOf(request), request.params.id, request.body);
    },
    async uploadPart(request, reply) {
      const { id, number } = request.params;
      const lengthHeader = request.headers["content-length"];
      try {
        const etag = await uploads.putPart({
          uploadId: id,
          number,
          size: request.query.size,
          expires: request.query.expires,
          signature: request.query.signature,
          contentLength: lengthHeader === undefined ? undefined : Number(lengthHeader),
          body: partBody(request),
        });
        return reply.code(200).header("etag", etag).send();
      } catch (error) {
        // A refusal before the body was read: read the rest (bounded), so the client, still
        // sending, reads this answer instead of a reset connection. A trickle is not waited for.
        const slow = error instanceof ProblemError && error.status === 408;
        const drained = !slow && (await discardBody(request.raw, { maxBytes: DISCARD_LIMIT_BYTES, timeoutMs: requestTimeoutMs }));
        if (!drained) reply.header("connection", "close");
        throw error;
      }
    },
    async downloadFile(request, reply) {
      const answer = await uploads.download({
        blobId: request.params.id,
        expires: request.query.expires,
        signature: request.query.signature,
        range: request.headers.range,
      });
      reply.header("accept-ranges", "bytes").header("content-type", "application/octet-stream");
      if (answer.kind === "whole") {
        return reply.code(200).header("content-length", answer.size).send(answer.body);
      }
      const { start, end } = answer.range;
      return reply
        .code(206)
        .header("content-range", formatContentRange(answer.range, answer.size))
        .header("content-length", end - start + 1)
        .send(answer.body);
    },
  };
}
