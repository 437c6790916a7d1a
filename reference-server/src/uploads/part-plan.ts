/**
 * The S3 multipart limits the protocol adopts (spec §4).
 *
 * @example
 * if (size > S3_LIMITS.maxSize) refuse();
 */
export const S3_LIMITS = {
  maxSize: 5 * 1024 ** 4, // 5 TiB
  maxParts: 10_000,
  minPartSize: 5 * 1024 ** 2, // 5 MiB, except the last part
  maxPartSize: 5 * 1024 ** 3, // 5 GiB
} as const;

/** How an upload is cut into parts. */
export interface PartPlan {
  /** Size of every part but the last. */
  partSize: number;
  partCount: number;
}

/** Inputs of {@link planParts}. */
export interface PlanPartsOptions {
  size: number;
  /** The client's `part_size` hint, honoured within the rules. */
  partSizeHint?: number | undefined;
  /**
   * Smallest part but the last. A server may allow less than S3's 5 MiB and says so in `part_size`.
   * @default 5242880
   */
  minPartSize?: number;
  /**
   * Part size when the client gives no hint (raised to `minPartSize` if smaller).
   * @default 8388608
   */
  defaultPartSize?: number;
}

/**
 * Plans parts under the S3 rules: at most 10,000 parts, each at least `minPartSize` except the
 * last, at most 5 GiB; a size of 0 is one empty part.
 *
 * @example
 * planParts({ size: 20 * 2 ** 20, partSizeHint: 8 * 2 ** 20 }) // { partSize: 8388608, partCount: 3 }
 */
export function planParts(options: PlanPartsOptions): PartPlan {
  const { size } = options;
  const minPartSize = options.minPartSize ?? S3_LIMITS.minPartSize;
  if (!Number.isSafeInteger(size) || size < 0 || size > S3_LIMITS.maxSize) throw new RangeError(`bad size ${size}`);
  const wanted = options.partSizeHint ?? Math.max(options.defaultPartSize ?? 8 * 1024 ** 2, minPartSize);
  // Parts must be big enough that 10,000 of them hold the whole file.
  const floor = Math.max(minPartSize, Math.ceil(size / S3_LIMITS.maxParts), 1);
  const partSize = Math.min(Math.max(wanted, floor), S3_LIMITS.maxPartSize);
  const partCount = Math.max(1, Math.ceil(size / partSize));
  return { partSize, partCount };
}

/**
 * Size of part `number` (from 1) in a plan.
 *
 * @example
 * partSizeOf({ size: 10, partSize: 4, partCount: 3 }, 3) // 2
 */
export function partSizeOf(plan: PartPlan & { size: number }, number: number): number {
  if (number < plan.partCount) return plan.partSize;
  return plan.size - plan.partSize * (plan.partCount - 1);
}
