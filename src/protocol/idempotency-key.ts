/** What an `Idempotency-Key` header holds (spec §2). */
export type IdempotencyKeyHeader =
  | { kind: "absent" }
  | { kind: "key"; key: string }
  /** Neither a valid structured-field string nor a bare key: the server answers `400 invalid_request`. */
  | { kind: "malformed" };

const bareKey = /^[\x20-\x7E]{1,255}$/;
// RFC 8941 §3.3.3 sf-string: printable ASCII, `"` and `\` escaped with `\`.
const sfString = /^"((?:[\x20\x21\x23-\x5B\x5D-\x7E]|\\["\\])*)"$/;

/**
 * Reads an `Idempotency-Key` header (spec §2). The key is 1-255 printable ASCII characters
 * (0x20-0x7E), sent as a structured-field string (`"k"`, the draft's form) or bare (`k`); both
 * forms are the same key. A value that starts with `"` must be a valid sf-string (the quoted
 * form); a bare key never starts with `"`, so `"abc` or `"a\\qb"` is malformed (spec §2.3.2).
 *
 * @example
 * parseIdempotencyKey('"a\\"b"') // { kind: "key", key: 'a"b' }
 * parseIdempotencyKey('a"b')     // { kind: "key", key: 'a"b' }
 * parseIdempotencyKey("")        // { kind: "malformed" }
 */
export function parseIdempotencyKey(header: string | null | undefined): IdempotencyKeyHeader {
  if (header === null || header === undefined) return { kind: "absent" };
  if (header.charCodeAt(0) !== 0x22) return bareKey.test(header) ? { kind: "key", key: header } : { kind: "malformed" };
  const quoted = sfString.exec(header);
  if (!quoted) return { kind: "malformed" };
  const key = quoted[1]!.replace(/\\(["\\])/g, "$1");
  return bareKey.test(key) ? { kind: "key", key } : { kind: "malformed" };
}

/**
 * The header value for a key: the draft's quoted structured-field string (spec §2). Throws a
 * `TypeError` for a key outside 1-255 printable ASCII characters, before any request.
 *
 * @example
 * formatIdempotencyKey("abc") // "\"abc\""
 */
export function formatIdempotencyKey(key: string): string {
  if (!bareKey.test(key)) throw new TypeError("An idempotency key is 1-255 printable ASCII characters (0x20-0x7E).");
  return `"${key.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
