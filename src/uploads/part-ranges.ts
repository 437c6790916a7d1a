import type { Part } from "../types.ts";

/** A part's byte range in the file: `[start, end)`. */
export interface PartRange {
  number: number;
  start: number;
  end: number;
}

/**
 * Byte ranges of an upload's parts, from the server's plan (each part's `size`, in number
 * order). Throws when the plan does not add up to the file's size, so a confused server can
 * never make the SDK send the wrong bytes.
 *
 * @example
 * partRanges(upload.parts, file.size) // [{ number: 1, start: 0, end: 5242880 }, …]
 */
export function partRanges(parts: readonly Pick<Part, "number" | "size">[], size: number): PartRange[] {
  const sorted = [...parts].sort((a, b) => a.number - b.number);
  const ranges: PartRange[] = [];
  let start = 0;
  for (const [i, part] of sorted.entries()) {
    if (part.number !== i + 1) throw new RangeError(`The upload's parts are not numbered 1..n (found ${part.number} at ${i + 1})`);
    ranges.push({ number: part.number, start, end: start + part.size });
    start += part.size;
  }
  if (start !== size || ranges.length === 0) {
    throw new RangeError(`The upload's parts add up to ${start} bytes in ${ranges.length} parts; the file has ${size}`);
  }
  return ranges;
}
