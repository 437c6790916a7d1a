import { describe, expect, test } from "vitest";
import { partSizeOf, planParts, s3PartLimits } from "async-jobs/protocol";

// The one part planner of the SDK (its hint), the mock and the server (their plan), spec §4.
const MiB = 1024 ** 2;

describe("planParts (S3 rules)", () => {
  test("a size of 0 is one empty part", () => {
    const plan = planParts(0);
    expect(plan.partCount).toBe(1);
    expect(partSizeOf({ ...plan, size: 0 }, 1)).toBe(0);
  });

  test("the hint is honoured when within the rules", () => {
    expect(planParts(20 * MiB, { partSize: 8 * MiB })).toEqual({ partSize: 8 * MiB, partCount: 3 });
  });

  test("a hint below the minimum part size is raised to it", () => {
    expect(planParts(20 * MiB, { partSize: 1024 })).toEqual({ partSize: 5 * MiB, partCount: 4 });
    expect(planParts(20 * MiB, { partSize: 1024, minPartSize: 64 * 1024 })).toEqual({ partSize: 64 * 1024, partCount: 320 });
  });

  test("without a hint the default part size is used, raised to the minimum", () => {
    expect(planParts(100 * MiB).partSize).toBe(8 * MiB);
    expect(planParts(100 * MiB, { defaultPartSize: 6 * MiB }).partSize).toBe(6 * MiB);
    expect(planParts(100 * MiB, { minPartSize: 16 * MiB }).partSize).toBe(16 * MiB);
  });

  test("parts grow to whole MiB so that at most 10,000 hold the file, up to 5 TiB", () => {
    for (const [size, minPartSize] of [[s3PartLimits.maxSize, undefined], [100_000 * MiB, 1], [10_000 * 5 * MiB + 1, undefined]] as const) {
      const plan = planParts(size, { partSize: 5 * MiB, minPartSize });
      expect(plan.partCount).toBeLessThanOrEqual(10_000);
      expect(plan.partSize).toBeLessThanOrEqual(s3PartLimits.maxPartSize);
      expect(plan.partSize % MiB).toBe(0);
      expect(plan.partSize * plan.partCount).toBeGreaterThanOrEqual(size);
      expect(plan.partSize * (plan.partCount - 1)).toBeLessThan(size);
    }
  });

  test("a hint over 5 GiB is cut to 5 GiB", () => {
    expect(planParts(20 * 1024 * MiB, { partSize: 6 * 1024 * MiB }).partSize).toBe(s3PartLimits.maxPartSize);
  });

  test("the last part holds the rest", () => {
    const plan = { ...planParts(10 * MiB + 3, { partSize: 5 * MiB }), size: 10 * MiB + 3 };
    expect(plan.partCount).toBe(3);
    expect([1, 2, 3].map((n) => partSizeOf(plan, n))).toEqual([5 * MiB, 5 * MiB, 3]);
  });

  test("sizes outside 0..5 TiB, and fractions, are refused", () => {
    expect(() => planParts(-1)).toThrow(RangeError);
    expect(() => planParts(1.5)).toThrow(RangeError);
    expect(() => planParts(s3PartLimits.maxSize + 1)).toThrow(RangeError);
  });
});
