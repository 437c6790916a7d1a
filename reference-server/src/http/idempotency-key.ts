/**
 * The key of an `Idempotency-Key` header: the draft's quoted structured-field string and the
 * bare form are the same key (spec §2). The header's shape is checked by the spec already.
 *
 * @example
 * idempotencyKey('"abc"') === idempotencyKey("abc"); // true
 */
export function idempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (header.length >= 3 && header.startsWith('"') && header.endsWith('"')) {
    // sf-string escapes: \" and \\
    return header.slice(1, -1).replace(/\\(["\\])/g, "$1");
  }
  return header;
}
