import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ProblemError } from "../http/problems.ts";
import { isUploadError } from "./upload-error.ts";
import type { UploadService } from "./upload-service.ts";

/**
 * The route of signed part PUTs, as fastify names it.
 *
 * @example
 * request.routeOptions.url === PART_ROUTE
 */
export const PART_ROUTE = "/v1/uploads/:id/parts/:number";

// Where the octet-stream parser leaves a part's body stream for the handler.
const PART_BODY = Symbol("async-jobs.partBody");
type WithPartBody = FastifyRequest & { [PART_BODY]?: AsyncIterable<Uint8Array> };

/** Options of {@link createUploadHandlers}. */
export interface UploadHandlersOptions {
  /** The authenticated tenant of a request (set by the core's auth hook). */
  tenantOf: (request: FastifyRequest) => string;
  /**
   * Base URL put in signed URLs (e.g. behind a proxy). By default the origin the client used
   * (`protocol://Host`), recorded on the upload so a worker elsewhere signs downloads alike.
   */
  publicUrl?: string | undefined;
  /** Path the protocol is mounted under (a fastify plugin's prefix), appended to the client's origin. @default "" */
  basePath?: string | undefined;
}

/**
 * Lets `application/octet-stream` bodies through to the part handler as a stream: no body
 * limit, no buffering (a 5 GiB part never sits in memory). Any other route refuses the type with
 * `415 unsupported_media_type`, as if no parser existed.
 *
 * @example
 * registerPartBodyParser(app); // before the routes
 */
export function registerPartBodyParser(app: FastifyInstance): void {
  app.addContentTypeParser("application/octet-stream", (request, payload, done) => {
    if (request.routeOptions.url !== PART_ROUTE) {
      done(new ProblemError("unsupported_media_type", "Expected application/json, got application/octet-stream."), undefined);
      return;
    }
    (request as WithPartBody)[PART_BODY] = payload;
    // The schema says the body is a string; the bytes themselves are streamed by the handler.
    done(null, "");
  });
}

const toProblem = (error: unknown): unknown =>
  isUploadError(error)
    ? new ProblemError(error.code, error.detail, { status: error.status, title: error.title, headers: error.headers })
    : error;

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** Wraps a handler so the service's refusals reach the core's error handler as ProblemErrors. */
const translated =
  (handler: Handler): Handler =>
  async (request, reply) => {
    try {
      return await handler(request, reply);
    } catch (error) {
      throw toProblem(error);
    }
  };

/**
 * Fastify handlers for the upload operations, keyed by operationId (fastify-openapi-glue's
 * service). Request shapes were validated against openapi.yaml before they run.
 *
 * @example
 * const handlers = createUploadHandlers(service, { tenantOf: (request) => request.tenant });
 */
export function createUploadHandlers(uploads: UploadService, options: UploadHandlersOptions) {
  const { tenantOf } = options;
  const originOf = (request: FastifyRequest) => options.publicUrl?.replace(/\/+$/, "") ?? `${request.protocol}://${request.host}${options.basePath ?? ""}`;
  type IdParams = { id: string };

  return {
    createUpload: translated(async (request, reply) => {
      const body = request.body as Parameters<UploadService["create"]>[2];
      const upload = await uploads.create(tenantOf(request), originOf(request), body);
      return reply.code(201).header("location", `/v1/uploads/${upload.id}`).send(upload);
    }),
    getUpload: translated(async (request) => {
      const { id } = request.params as IdParams;
      return uploads.get(tenantOf(request), id);
    }),
    abortUpload: translated(async (request, reply) => {
      const { id } = request.params as IdParams;
      await uploads.abort(tenantOf(request), id);
      return reply.code(204).send();
    }),
    createPartUrls: translated(async (request) => {
      const { id } = request.params as IdParams;
      const { numbers } = request.body as { numbers: number[] };
      return uploads.partUrls(tenantOf(request), id, numbers);
    }),
    completeUpload: translated(async (request) => {
      const { id } = request.params as IdParams;
      return uploads.complete(tenantOf(request), id, request.body as Parameters<UploadService["complete"]>[2]);
    }),
    uploadPart: translated(async (request, reply) => {
      const { id, number } = request.params as { id: string; number: number };
      const query = request.query as { expires: number; size: number; signature: string };
      const lengthHeader = request.headers["content-length"];
      // Do not destroy the socket when we stop reading early: the 400 must still reach the client.
      const body = (request as WithPartBody)[PART_BODY] ?? request.raw;
      const stream = "iterator" in body && typeof body.iterator === "function" ? body.iterator({ destroyOnReturn: false }) : body;
      // Whatever the refusal, the rest of the body is not read: close rather than drain it.
      reply.header("connection", "close");
      const etag = await uploads.putPart({
        uploadId: id,
        number: Number(number),
        size: Number(query.size),
        expires: Number(query.expires),
        signature: query.signature,
        contentLength: lengthHeader === undefined ? undefined : Number(lengthHeader),
        body: stream,
      });
      reply.removeHeader("connection");
      return reply.code(200).header("etag", etag).send();
    }),
    downloadFile: translated(async (request, reply) => {
      const { id } = request.params as IdParams;
      const query = request.query as { expires: number; signature: string };
      const answer = await uploads.download({
        blobId: id,
        expires: Number(query.expires),
        signature: query.signature,
        range: request.headers.range,
      });
      reply.header("accept-ranges", "bytes").header("content-type", "application/octet-stream");
      if (answer.kind === "whole") {
        return reply.code(200).header("content-length", answer.size).send(answer.body);
      }
      const { start, end } = answer.range;
      return reply
        .code(206)
        .header("content-range", `bytes ${start}-${end}/${answer.size}`)
        .header("content-length", end - start + 1)
        .send(answer.body);
    }),
  } satisfies Record<string, Handler>;
}
