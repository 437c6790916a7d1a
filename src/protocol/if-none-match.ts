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
  const wanted = opaqueTag(etag);
  for (const candidate of header.split(",")) if (opaqueTag(candidate.trim()) === wanted) return true;
  return false;
}

/** An entity tag without its weak prefix: weak comparison compares what is left. */
function opaqueTag(tag: string): string {
  return tag.startsWith("W/") ? tag.slice(2) : tag;
}
