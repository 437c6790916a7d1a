import type { Part } from "../types.ts";

const MiB = 1024 * 1024;

/** The S3 multipart rules the contract adopts (spec §4). @example s3PartLimits.maxParts // 10000 */
export const s3PartLimits = {
  /** Every part but the last is at least this big. */
  minPartSize: 5 * MiB,
  /** An upload has at most this many parts. */
  maxParts: 10_000,
  /** An upload is at most 5 TiB. */
  maxSize: 5 * 1024 * 1024 * MiB,
} as const;

/** Part size the SDK asks for when the caller gives no hint (8 MiB: the measured sweet spot). @example defaultPartSize // 8388608 */
export const defaultPartSize = 8 * MiB;

/** A part size and count for a file, every part `partSize` bytes but the last. */
export interface PartPlan {
  partSize: number;
  partCount: number;
}

/**
 * Plans parts under the S3 rules: at least `minPartSize` (except the last), at most `maxParts`,
 * the last part smaller. A 0-byte file is one empty part (`part_count` is at least 1). The SDK
 * sends `partSize` as a hint; the server's own plan in the Upload always wins.
 *
 * @example
 * planParts(20 * 2 ** 20) // { partSize: 8388608, partCount: 3 }
 */
export function planParts(
  size: number,
  options: { partSize?: number | undefined; minPartSize?: number; maxParts?: number } = {},
): PartPlan {
  const { minPartSize = s3PartLimits.minPartSize, maxParts = s3PartLimits.maxParts } = options;
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`size must be a whole number of bytes, got ${size}`);
  const wanted = options.partSize ?? defaultPartSize;
  let partSize = Math.max(wanted, minPartSize);
  // Too many parts: grow them (to whole MiB, as S3 clients do) until the file fits.
  if (Math.ceil(size / partSize) > maxParts) partSize = Math.max(minPartSize, Math.ceil(size / maxParts / MiB) * MiB);
  return { partSize, partCount: Math.max(1, Math.ceil(size / partSize)) };
}

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
