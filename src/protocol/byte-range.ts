/** An inclusive byte range, as in HTTP (`bytes=start-end`). */
export interface ByteRange {
  start: number;
  end: number;
}

/** What a `Range` header asks of a file: all of it, one range (`206`), or nothing it has (`416`). */
export type RangeRequest = { kind: "whole" } | { kind: "range"; range: ByteRange } | { kind: "unsatisfiable" };

/**
 * Interprets a `Range` header for a file of `size` bytes (RFC 9110 §14; spec §4 downloads):
 * `bytes=a-b`, `bytes=a-` and the suffix `bytes=-n`. Only one range is served; several ranges,
 * other units, bad syntax and an invalid range (`b < a`) are ignored, so the answer is the whole
 * file, which RFC 9110 allows. A range that starts past the end is `416`.
 *
 * @example
 * parseRange("bytes=0-99", 1000) // { kind: "range", range: { start: 0, end: 99 } }
 * parseRange("bytes=2000-", 1000) // { kind: "unsatisfiable" }
 */
export function parseRange(header: string | null | undefined, size: number): RangeRequest {
  if (header === null || header === undefined) return { kind: "whole" };
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return { kind: "whole" };
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return { kind: "whole" };
  if (first === "") {
    // Suffix range: the last n bytes.
    const length = Number(last);
    if (length === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "range", range: { start: Math.max(0, size - length), end: size - 1 } };
  }
  const start = Number(first);
  if (last !== "" && Number(last) < start) return { kind: "whole" }; // invalid, so ignored (RFC 9110 §14.1.1)
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "range", range: { start, end: last === "" ? size - 1 : Math.min(Number(last), size - 1) } };
}

/**
 * The `Content-Range` of a `206` (a range) or of a `416` (no range: `bytes *\/size`).
 *
 * @example
 * formatContentRange({ start: 0, end: 99 }, 1000) // "bytes 0-99/1000"
 * formatContentRange(undefined, 1000) // "bytes *\/1000"
 */
export function formatContentRange(range: ByteRange | undefined, size: number): string {
  return range ? `bytes ${range.start}-${range.end}/${size}` : `bytes */${size}`;
}

/**
 * How a `Range` that starts past the end is refused (spec §4): `416` with the code
 * `invalid_request` and a `Content-Range: bytes *\/size` header.
 *
 * @example
 * new ProblemError(unsatisfiableRange.code, detail, { status: unsatisfiableRange.status, title: unsatisfiableRange.title })
 */
export const unsatisfiableRange = { code: "invalid_request", status: 416, title: "Range not satisfiable" } as const;
