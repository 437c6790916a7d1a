/**
 * JSON with sorted object keys and no insignificant whitespace, so two bodies that differ only
 * in key order or spacing give the same text: the idempotency fingerprint (spec §2).
 *
 * @example
 * canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] }) // '{"a":[2,{"c":4,"d":3}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const record = value as Record<string, unknown>;
  const entries = Object.keys(record)
    .sort()
    .filter((k) => record[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`);
  return `{${entries.join(",")}}`;
}

/**
 * The fingerprint stored with an idempotency key: a digest of the body's canonical JSON
 * (spec §2). Two submits are the same request when their fingerprints are equal. The digest is
 * the caller's: the server keeps a SHA-256 (fixed size in its store), the in-memory mock may
 * keep the text itself.
 *
 * @example
 * requestFingerprint({ a: 1, b: 2 }, sha256Hex) === requestFingerprint({ b: 2, a: 1 }, sha256Hex) // true
 */
export function requestFingerprint(body: unknown, digest: (canonical: string) => string): string {
  return digest(canonicalJson(body));
}
