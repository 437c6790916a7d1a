/**
 * A fresh idempotency key: a random UUID (Web Crypto, available in browsers, Node ≥ 20, Deno,
 * Bun and Workers).
 *
 * @example
 * const key = createIdempotencyKey() // "8e0f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
 */
export function createIdempotencyKey(): string {
  return crypto.randomUUID();
}

/**
 * The header value for a key: the IETF draft's quoted structured-field string (spec §2).
 * Throws a `TypeError` for a key outside 1-255 printable ASCII characters, before any request.
 *
 * @example
 * formatIdempotencyKey("abc") // "\"abc\""
 */
export function formatIdempotencyKey(key: string): string {
  if (!/^[\x20-\x7e]{1,255}$/.test(key)) {
    throw new TypeError("An idempotency key is 1-255 printable ASCII characters (0x20-0x7E).");
  }
  return `"${key.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
