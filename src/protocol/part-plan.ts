const MiB = 1024 * 1024;

/**
 * The S3 multipart limits the protocol adopts (spec §4).
 *
 * @example
 * s3PartLimits.maxParts // 10000
 */
export const s3PartLimits = {
  /** Every part but the last is at least this big. A server may allow less and says so in `part_size`. */
  minPartSize: 5 * MiB,
  /** A part is at most this big. */
  maxPartSize: 5 * 1024 * MiB,
  /** An upload has at most this many parts. */
  maxParts: 10_000,
  /** An upload is at most 5 TiB. */
  maxSize: 5 * 1024 * 1024 * MiB,
} as const;

/** Part size planned when the client gives no hint (8 MiB: the measured sweet spot). @example defaultPartSize // 8388608 */
export const defaultPartSize = 8 * MiB;

/** How an upload is cut into parts: every part `partSize` bytes but the last. */
export interface PartPlan {
  partSize: number;
  partCount: number;
}

/** Options of {@link planParts}. */
export interface PlanPartsOptions {
  /** The wanted part size (the client's `part_size` hint), honoured within the limits. @default defaultPartSize */
  partSize?: number | undefined;
  /** Smallest part but the last. @default s3PartLimits.minPartSize */
  minPartSize?: number | undefined;
  /** Part size without a hint (a server setting). @default defaultPartSize */
  defaultPartSize?: number | undefined;
}

/**
 * Plans parts under the S3 rules (spec §4): at most 10,000 parts, each at least `minPartSize`
 * except the last and at most 5 GiB; a 0-byte file is one empty part. A hint under
 * `minPartSize` is raised to it. The server's plan is the
 * one that counts: the SDK sends its `partSize` as a hint.
 *
 * @example
 * planParts(20 * 2 ** 20) // { partSize: 8388608, partCount: 3 }
 */
export function planParts(size: number, options: PlanPartsOptions = {}): PartPlan {
  const minPartSize = options.minPartSize ?? s3PartLimits.minPartSize;
  if (!Number.isSafeInteger(size) || size < 0 || size > s3PartLimits.maxSize) {
    throw new RangeError(`bad size ${size}`);
  }
  let partSize = Math.max(options.partSize ?? options.defaultPartSize ?? defaultPartSize, minPartSize, 1);
  // Too many parts: grow them, to whole MiB as S3 clients do, until 10,000 hold the file.
  if (Math.ceil(size / partSize) > s3PartLimits.maxParts) {
    partSize = Math.max(minPartSize, Math.ceil(size / s3PartLimits.maxParts / MiB) * MiB);
  }
  partSize = Math.min(partSize, s3PartLimits.maxPartSize);
  return { partSize, partCount: Math.max(1, Math.ceil(size / partSize)) };
}

/**
 * Size of part `number` (from 1) of a plan for `size` bytes.
 *
 * @example
 * partSizeOf({ size: 10, partSize: 4, partCount: 3 }, 3) // 2
 */
export function partSizeOf(plan: PartPlan & { size: number }, number: number): number {
  if (number < plan.partCount) return plan.partSize;
  return plan.size - plan.partSize * (plan.partCount - 1);
}
