import { isWebhookVerificationError } from "../errors.ts";
import type { JobEvent } from "../types.ts";
import type { WebhookDedupe } from "./dedupe.ts";
import type { WebhookSecrets } from "./secret.ts";
import type { VerifyWebhookOptions } from "./verify-webhook-signature.ts";
import { verifyWebhook } from "./verify-webhook.ts";
import { DEFAULT_WEBHOOK_BODY_LIMIT, readBodyWithin } from "./webhook-body-limit.ts";

/**
 * Options of `webhookHandler`: the verification options plus an optional dedupe.
 *
 * @example
 * webhookHandler(secret, onEvent, { dedupe: createWebhookDedupe() })
 */
export interface WebhookHandlerOptions extends VerifyWebhookOptions {
  /** Acknowledge an already handled `webhook-id` without calling `onEvent` again. */
  dedupe?: WebhookDedupe;
  /**
   * Largest body read, in bytes; a longer one is answered `413` unread.
   * @default DEFAULT_WEBHOOK_BODY_LIMIT (2 MiB + 64 KiB: the reference server's largest event)
   */
  limit?: number;
}

/**
 * What `onEvent` gets besides the event.
 *
 * @example
 * const onEvent = (event: JobEvent, { id }: WebhookContext) => log(id, event.type)
 */
export interface WebhookContext {
  /** The `webhook-id` (the event id, the same on every retry). */
  id: string;
  request: Request;
}

/**
 * A Fetch API handler (`(request) => Promise<Response>`) for Next.js route handlers, Hono,
 * Workers, Deno and Bun. It verifies the request, calls `onEvent` and answers `204`; a request
 * that fails verification gets `400` problem+json whose `code` is the reason, one over
 * `limit` gets `413` (read no further). An invalid
 * secret (our configuration, not the request) and errors from `onEvent` are thrown, so the
 * platform answers `5xx` and the sender retries.
 *
 * @example
 * export const POST = webhookHandler(process.env.WEBHOOK_SECRET!, async (event) => {
 *   if (event.type === "job.succeeded") await save(event.data)
 * })
 */
export function webhookHandler(
  secret: WebhookSecrets,
  onEvent: (event: JobEvent, context: WebhookContext) => unknown,
  options: WebhookHandlerOptions = {},
): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== "POST") {
      return new Response(null, { status: 405, headers: { allow: "POST" } });
    }
    const body = await readBodyWithin(request, options.limit ?? DEFAULT_WEBHOOK_BODY_LIMIT);
    if (!body) return problem(413, "Payload too large", "The webhook body is over the receiver's limit.", "payload_too_large");
    let event: JobEvent;
    try {
      event = await verifyWebhook({ body, headers: request.headers }, secret, options);
    } catch (error) {
      if (!isWebhookVerificationError(error) || error.reason === "invalid_secret") throw error;
      return problem(400, "Webhook verification failed", error.message, error.reason);
    }
    const id = request.headers.get("webhook-id")!;
    const { dedupe } = options;
    if (dedupe && (await dedupe.seen(id))) return new Response(null, { status: 204 });
    try {
      await onEvent(event, { id, request });
    } catch (error) {
      await dedupe?.forget?.(id);
      throw error;
    }
    return new Response(null, { status: 204 });
  };
}

const problem = (status: number, title: string, detail: string, code: string) =>
  Response.json({ type: "about:blank", title, status, detail, code }, { status, headers: { "content-type": "application/problem+json" } });
