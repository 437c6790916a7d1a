// async-jobs/webhooks/node: the raw body of a Node request, for Express, Fastify and
// node:http. Signatures cover the exact bytes sent, so a body that went through
// JSON.parse/JSON.stringify no longer verifies: read it raw.
import type { IncomingMessage } from "node:http";
import type { JobEvent } from "../types.ts";
import {
  DEFAULT_WEBHOOK_BODY_LIMIT,
  verifyWebhook,
  type VerifyWebhookOptions,
  type WebhookSecrets,
} from "../webhooks/index.ts";

/**
 * Options of `readRawBody`.
 *
 * @example
 * await readRawBody(req, { limit: 256 * 1024 })
 */
export interface ReadRawBodyOptions {
  /**
   * Largest body accepted, in bytes: by default the largest event the reference server sends at
   * its default body limit (an event carries input and result: 2 MiB + 64 KiB).
   * @default DEFAULT_WEBHOOK_BODY_LIMIT
   */
  limit?: number;
}

/**
 * Thrown by `readRawBody` when the body is over the limit; answer it with `413`.
 *
 * @example
 * if (e instanceof PayloadTooLargeError) res.writeHead(413).end()
 */
export class PayloadTooLargeError extends Error {
  override name = "PayloadTooLargeError";
  readonly status = 413;
}

/**
 * The raw body of an `IncomingMessage`. If a middleware already read it, its raw result is
 * used (`express.raw()` leaves a Buffer in `req.body`, `express.text()` a string); a body
 * already parsed into an object cannot be verified and throws, saying so.
 *
 * @example
 * app.post("/webhooks", express.raw({ type: "application/json" }), async (req, res) => {
 *   const body = await readRawBody(req)
 * })
 */
export async function readRawBody(
  req: IncomingMessage & { body?: unknown },
  options: ReadRawBodyOptions = {},
): Promise<Uint8Array> {
  const limit = options.limit ?? DEFAULT_WEBHOOK_BODY_LIMIT;
  const parsed = req.body;
  if (parsed instanceof Uint8Array) return parsed;
  if (typeof parsed === "string") return new TextEncoder().encode(parsed);
  if (parsed != null && !(typeof parsed === "object" && isEmpty(parsed))) {
    throw new TypeError(
      "The request body was already parsed, so its raw bytes are gone: mount express.raw({ type: \"application/json\" }) (or a raw content-type parser) on the webhook route",
    );
  }
  if (req.readableEnded) {
    throw new TypeError("The request body was already consumed by another reader");
  }
  // Events rather than for-await: leaving a for-await early destroys the socket, and the
  // caller still has to answer 413 on it.
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    const done = (error?: Error) => {
      req.off("data", onData).off("end", onEnd).off("error", done).off("close", onClose);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Uint8Array | string) => {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size <= limit) return void chunks.push(bytes);
      done(new PayloadTooLargeError(`The request body is over ${limit} bytes`));
      req.resume(); // discard the rest so the response can still be sent
    };
    const onEnd = () => done();
    const onClose = () => done(new Error("The request was aborted before its body ended"));
    req.on("data", onData).on("end", onEnd).on("error", done).on("close", onClose);
  });
}

// express.json() leaves {} when the content type did not match, without reading the body.
function isEmpty(value: object): boolean {
  return Object.getPrototypeOf(value) === Object.prototype && Object.keys(value).length === 0;
}

/**
 * Reads the raw body of a Node request and verifies it as a job event (see `verifyWebhook`).
 *
 * @example
 * http.createServer(async (req, res) => {
 *   const event = await verifyNodeWebhook(req, process.env.WEBHOOK_SECRET!)
 * })
 */
export async function verifyNodeWebhook(
  req: IncomingMessage & { body?: unknown },
  secret: WebhookSecrets,
  options: VerifyWebhookOptions & ReadRawBodyOptions = {},
): Promise<JobEvent> {
  const body = await readRawBody(req, options);
  return verifyWebhook({ body, headers: req.headers }, secret, options);
}
