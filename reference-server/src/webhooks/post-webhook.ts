import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { isIP } from "node:net";
import { BlockedAddressError, checkedAddresses, type ResolveHost } from "./webhook-url-guard.ts";

/**
 * Why an attempt got no HTTP answer, as the deliveries listing shows it (spec §3): coarse on
 * purpose, so that a tenant cannot map the server's network through its webhook URLs.
 */
export type DeliveryErrorCode = "blocked_address" | "dns" | "connection_refused" | "timeout" | "connection_failed";

/** The receiver's answer: its status and the headers the schedule reads. */
export interface WebhookAnswer {
  status: number;
  headers: IncomingHttpHeaders;
}

export interface PostWebhookOptions {
  timeoutMs: number;
  /** Skip the address check (`--allow-private-webhooks`). */
  allowPrivate: boolean;
  resolve?: ResolveHost;
}

/** An attempt that got no HTTP answer. */
export class DeliveryError extends Error {
  override readonly name = "DeliveryError";
  constructor(
    readonly code: DeliveryErrorCode,
    options?: { cause?: unknown },
  ) {
    super(code, options);
  }
}

/**
 * POSTs one signed event. The host is resolved and checked here, on every attempt, and the
 * connection goes to exactly the addresses checked (a pinned `lookup`): a name re-pointed at a
 * private address between submit and delivery (DNS rebinding) is refused as `blocked_address`.
 * Redirects are not followed. The answer's body is never read.
 *
 * @example
 * const answer = await postWebhook("https://hooks.example.com/x", body, headers, { timeoutMs: 15_000, allowPrivate: false });
 */
export async function postWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: PostWebhookOptions,
): Promise<WebhookAnswer> {
  const target = new URL(url);
  const deadline = AbortSignal.timeout(options.timeoutMs);
  let addresses: string[];
  try {
    addresses = await withDeadline(checkedAddresses(target.hostname, options), deadline);
  } catch (error) {
    if (error instanceof DeliveryError) throw error;
    throw new DeliveryError(error instanceof BlockedAddressError ? "blocked_address" : "dns", { cause: error });
  }
  const pinned = addresses.map((address) => ({ address, family: isIP(address) }));
  const lookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    // Happy Eyeballs asks for every address; a plain connect for one.
    if ((lookupOptions as { all?: boolean }).all) (callback as unknown as (e: null, a: typeof pinned) => void)(null, pinned);
    else callback(null, pinned[0]!.address, pinned[0]!.family);
  };
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<WebhookAnswer>((resolve, reject) => {
    const req = send(target, {
      method: "POST",
      headers: { ...headers, "content-length": Buffer.byteLength(body) },
      lookup,
      agent: false,
      signal: deadline,
    });
    req.once("response", (res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
      res.destroy();
    });
    req.once("error", (error: NodeJS.ErrnoException) => {
      if (deadline.aborted) return reject(new DeliveryError("timeout", { cause: error }));
      reject(new DeliveryError(error.code === "ECONNREFUSED" ? "connection_refused" : "connection_failed", { cause: error }));
    });
    req.end(body);
  });
}

async function withDeadline<T>(work: Promise<T>, deadline: AbortSignal): Promise<T> {
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new DeliveryError("timeout"));
    deadline.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    deadline.removeEventListener("abort", onAbort);
  }
}
