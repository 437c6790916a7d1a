/** An inclusive byte range, as in HTTP (`bytes=start-end`). */
export interface ByteRange {
  start: number;
  end: number;
}

/** What a `Range` header asks of a file of a given size. */
export type RangeRequest = { kind: "whole" } | { kind: "range"; range: ByteRange } | { kind: "unsatisfiable" };

/**
 * Interprets a `Range` header (RFC 9110 §14) for a file of `size` bytes. Only a single `bytes`
 * range is served; anything else (several ranges, other units, bad syntax) is answered with the
 * whole file, which RFC 9110 allows.
 *
 * @example
 * parseRange("bytes=0-99", 1000) // { kind: "range", range: { start: 0, end: 99 } }
 * parseRange("bytes=2000-", 1000) // { kind: "unsatisfiable" }
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: "whole" };
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return { kind: "whole" };
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return { kind: "whole" };
  if (first === "") {
    // Suffix range: the last N bytes.
    const length = Number(last);
    if (length === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "range", range: { start: Math.max(0, size - length), end: size - 1 } };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== "" && Number(last) < start) return { kind: "whole" }; // invalid, so ignored (RFC 9110 §14.1.1)
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "range", range: { start, end } };
}
