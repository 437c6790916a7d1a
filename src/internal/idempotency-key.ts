/**
 * A fresh idempotency key: a random UUID (Web Crypto, available in browsers, Node ≥ 20, Deno,
 * Bun and Workers). Its header form is `formatIdempotencyKey` in src/protocol.
 *
 * @example
 * const key = createIdempotencyKey() // "8e0f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
 */
export function createIdempotencyKey(): string {
  return crypto.randomUUID();
}
