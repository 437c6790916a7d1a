/**
 * Does an `If-None-Match` value match this ETag (RFC 9110 §13.1.2; spec §2)? The value is `*`
 * (any current representation) or a comma-separated list of entity tags compared weakly: `W/"3"`
 * matches `"3"`. `*` inside a list is not the wildcard.
 *
 * @example
 * ifNoneMatchMatches('W/"3", "4"', '"4"') // true
 * ifNoneMatchMatches("*", '"4"') // true
 */
export function ifNoneMatchMatches(header: string | null | undefined, etag: string): boolean {
  if (header === null || header === undefined) return false;
  // The usual conditional read sends back exactly the ETag it got: no split needed.
  if (header === etag) return true;
  if (header.trim() === "*") return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
  return header.split(",").some((candidate) => opaque(candidate) === opaque(etag));
}
