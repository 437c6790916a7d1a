import { isNetworkError } from "../../errors.ts";

/** Error codes that mean "no server answered", with what they say to a person. */
const meanings: Record<string, string> = {
  ECONNREFUSED: "connection refused: is the server running on that port?",
  ENOTFOUND: "host not found: check the host name",
  EAI_AGAIN: "DNS lookup failed: check the host name and the network",
  ECONNRESET: "connection reset by the server",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  UND_ERR_SOCKET: "the connection closed unexpectedly",
};

/** The first `code` down an error's `cause` chain (undici hides it under "fetch failed"). */
export function networkErrorCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    const inner = (e as { errors?: unknown[] }).errors; // AggregateError: one per address tried
    if (Array.isArray(inner) && inner.length > 0) return networkErrorCode(inner[0]);
  }
  return undefined;
}

/**
 * One line saying which server could not be reached and why, never a bare "fetch failed".
 *
 * @example
 * describeNetworkError(error, "http://127.0.0.1:8080") // "cannot reach http://127.0.0.1:8080: ECONNREFUSED (connection refused: …)"
 */
export function describeNetworkError(error: unknown, baseUrl: string | undefined): string {
  const code = networkErrorCode(error);
  const where = baseUrl ?? "the server";
  if (code) return `cannot reach ${where}: ${code} (${meanings[code] ?? "network error"})`;
  // No code (fetch's "bad port", a TLS failure): the innermost message says most.
  let innermost = error;
  while ((innermost as { cause?: unknown })?.cause) innermost = (innermost as { cause: unknown }).cause;
  return `cannot reach ${where}: ${innermost instanceof Error ? innermost.message : String(innermost)}`;
}

/**
 * Whether an error means no answer came at all (not an HTTP error, not an abort).
 *
 * @example
 * isUnreachable(new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } })) // true
 */
export function isUnreachable(error: unknown): boolean {
  // fetch rejects with a TypeError carrying a cause for every failure to get an answer (the
  // Fetch standard, undici); a TypeError without one is a bug, reported as such.
  return isNetworkError(error) || (error instanceof TypeError && error.cause !== undefined);
}
