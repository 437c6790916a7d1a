/**
 * Do two ETags of an upload part name the same stored part (spec §4)? `complete` accepts each
 * part's ETag as the part PUT answered it, quoted or not, weak prefix or not (S3 clients strip
 * the quotes).
 *
 * @example
 * samePartETag('"abc"', "abc") // true
 */
export function samePartETag(a: string, b: string): boolean {
  return partETagValue(a) === partETagValue(b);
}

function partETagValue(etag: string): string {
  return etag.replace(/^W\//, "").replace(/^"|"$/g, "");
}
