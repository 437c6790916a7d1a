import { createHmac, timingSafeEqual } from "node:crypto";
import type { TokenScope } from "async-jobs/protocol";

/** The prefix of every scoped token: tells it apart from a tenant token at a glance (logs, leaks). */
export const scopedTokenPrefix = "ajst_";

/**
 * The key scoped tokens are signed with: HMAC-SHA256(the deployment's key kept in the store, a
 * label), so every process of a deployment verifies any other's tokens (spec §8.3) and this use
 * of the key stays apart from its others (part URLs, webhook secrets).
 *
 * @example
 * const key = deriveScopedTokenKey(await uploads.signingKey());
 */
export function deriveScopedTokenKey(master: Uint8Array): Buffer {
  return createHmac("sha256", master).update("async-jobs scoped token key").digest();
}

/**
 * A scoped token: `ajst_` + base64url(the scope as JSON) + `.` + base64url(HMAC-SHA256(key, that
 * text)). Stateless: verifying needs only the key, never the store.
 *
 * @example
 * mintScopedToken(key, { kind: "jobs", tenant: "acme", jobs: ["job_1"], cancel: false, expiresAt: Date.now() + 900_000 })
 */
export function mintScopedToken(key: Uint8Array, scope: TokenScope): string {
  const body = Buffer.from(JSON.stringify(scope)).toString("base64url");
  return `${scopedTokenPrefix}${body}.${sign(key, body)}`;
}

/** What a presented token is: a valid scope, an expired one, or nothing of ours. */
export type VerifiedToken = { kind: "valid"; scope: TokenScope } | { kind: "expired" } | { kind: "invalid" };

/**
 * Checks a token's signature, then its expiry (spec §8.3: `401` either way).
 *
 * @example
 * verifyScopedToken(key, token, Date.now()) // { kind: "valid", scope }
 */
export function verifyScopedToken(key: Uint8Array, token: string, now: number): VerifiedToken {
  if (!token.startsWith(scopedTokenPrefix)) return { kind: "invalid" };
  const [body, signature, ...rest] = token.slice(scopedTokenPrefix.length).split(".");
  if (!body || !signature || rest.length > 0) return { kind: "invalid" };
  const expected = Buffer.from(sign(key, body));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { kind: "invalid" };
  let scope: TokenScope;
  try {
    scope = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as TokenScope;
  } catch {
    return { kind: "invalid" };
  }
  return now < scope.expiresAt ? { kind: "valid", scope } : { kind: "expired" };
}

function sign(key: Uint8Array, body: string): string {
  return createHmac("sha256", key).update(body).digest("base64url");
}
