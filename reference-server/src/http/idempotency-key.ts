import { hash } from "node:crypto";
import { parseIdempotencyKey, requestFingerprint } from "async-jobs/protocol";
import { ProblemError } from "./problems.ts";

/**
 * The key of a submit's `Idempotency-Key` header (grammar in the protocol core, spec §2), or
 * undefined without one; a malformed value is `400 invalid_request`.
 *
 * @example
 * readIdempotencyKey('"abc"') === readIdempotencyKey("abc"); // true
 */
export function readIdempotencyKey(header: string | string[] | undefined): string | undefined {
  const parsed = parseIdempotencyKey(Array.isArray(header) ? header.join(", ") : header);
  if (parsed.kind === "absent") return undefined;
  if (parsed.kind === "key") return parsed.key;
  throw new ProblemError("invalid_request", "The Idempotency-Key header is not a key.", {
    errors: [{ path: "Idempotency-Key", message: "must be 1-255 printable ASCII characters, bare or as a quoted string" }],
  });
}

/**
 * The fingerprint the store keeps with a key: SHA-256 (hex) of the body's canonical JSON, a
 * fixed size whatever the body (spec §2). One-shot `hash`: no Hash object per submit.
 *
 * @example
 * bodyFingerprint({ a: 1, b: 2 }) === bodyFingerprint({ b: 2, a: 1 }); // true
 */
export function bodyFingerprint(body: unknown): string {
  return requestFingerprint(body, (canonical) => hash("sha256", canonical, "hex"));
}
