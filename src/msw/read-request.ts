import { parseIdempotencyKey } from "../protocol/idempotency-key.ts";
import { invalidRequest, ProblemError } from "./problem-response.ts";

/**
 * Reads a JSON body the way the contract demands (spec §1): `415` for another media type,
 * `413` over the limit, `400 malformed_json` for bad JSON.
 *
 * @example
 * const body = await readJsonBody(request, 1024 * 1024);
 */
export async function readJsonBody(request: Request, limit: number): Promise<unknown> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/(?:json|[^\s;/]+\+json)\s*(?:;|$)/i.test(type)) {
    throw new ProblemError("unsupported_media_type", `Expected application/json, got ${type || "nothing"}.`);
  }
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.length > limit) throw new ProblemError("payload_too_large", `The body is over ${limit} bytes.`);
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw new ProblemError("malformed_json", e instanceof Error ? e.message : "Malformed JSON.");
  }
}

/**
 * The request's `Idempotency-Key` (grammar in src/protocol, spec §2), or undefined; a malformed
 * one is `400 invalid_request`.
 *
 * @example
 * readIdempotencyKey(new Headers({ "idempotency-key": '"k1"' })) // "k1"
 */
export function readIdempotencyKey(headers: Headers): string | undefined {
  const parsed = parseIdempotencyKey(headers.get("idempotency-key"));
  if (parsed.kind === "malformed") throw invalidRequest("Idempotency-Key", "must be 1-255 printable ASCII characters");
  return parsed.kind === "key" ? parsed.key : undefined;
}

/**
 * The tenant of the request's bearer token: with `tokens`, the token's tenant; without, any
 * non-empty token is its own tenant. No valid token is `401` (spec §1).
 *
 * @example
 * const tenant = tenantOf(request, undefined) // "tok_a" for "Authorization: Bearer tok_a"
 */
export function tenantOf(request: Request, tokens: Record<string, string> | undefined): string {
  const m = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "");
  const tenant = m ? (tokens ? (Object.hasOwn(tokens, m[1]!) ? tokens[m[1]!] : undefined) : m[1]) : undefined;
  if (tenant === undefined) {
    throw new ProblemError("unauthorized", "A valid bearer token is required.", { headers: { "www-authenticate": "Bearer" } });
  }
  return tenant;
}
