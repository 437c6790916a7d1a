import { describe, expect, it } from "vitest";
import { partRanges, planParts, s3PartLimits } from "async-jobs/uploads";

// Part planning under the S3 rules (spec §4): 5 MiB minimum but the last, 10,000 parts at
// most, the last part smaller, 0 bytes is one empty part.
const MiB = 2 ** 20;
const ranges = (size: number, plan: { partSize: number; partCount: number }) =>
  partRanges(
    Array.from({ length: plan.partCount }, (_, i) => ({
      number: i + 1,
      size: i === plan.partCount - 1 ? size - plan.partSize * (plan.partCount - 1) : plan.partSize,
    })),
    size,
  );

describe("planParts", () => {
  it("defaults to 8 MiB parts with a smaller last part", () => {
    expect(planParts(20 * MiB)).toEqual({ partSize: 8 * MiB, partCount: 3 });
    const r = ranges(20 * MiB, planParts(20 * MiB));
    expect(r.at(-1)).toEqual({ number: 3, start: 16 * MiB, end: 20 * MiB });
  });

  it("makes 0 B and 1 B files one part", () => {
    expect(planParts(0)).toEqual({ partSize: 8 * MiB, partCount: 1 });
    expect(planParts(1)).toEqual({ partSize: 8 * MiB, partCount: 1 });
    expect(ranges(0, planParts(0))).toEqual([{ number: 1, start: 0, end: 0 }]);
  });

  it("never plans parts under 5 MiB, whatever the hint", () => {
    expect(planParts(100 * MiB, { partSize: 1 }).partSize).toBe(5 * MiB);
    expect(planParts(5 * MiB + 1, { partSize: 1 })).toEqual({ partSize: 5 * MiB, partCount: 2 });
  });

  it("grows parts so that even 5 TiB fits in 10,000 parts", () => {
    for (const size of [10_000 * 5 * MiB + 1, 100 * 1024 * MiB, s3PartLimits.maxSize]) {
      const plan = planParts(size);
      expect(plan.partCount).toBeLessThanOrEqual(10_000);
      expect(plan.partSize).toBeGreaterThanOrEqual(5 * MiB);
      expect(plan.partSize % MiB).toBe(0);
      expect(plan.partSize * plan.partCount).toBeGreaterThanOrEqual(size);
      expect(plan.partSize * (plan.partCount - 1)).toBeLessThan(size);
    }
  });

  it("keeps exactly 10,000 parts when the file fills them", () => {
    expect(planParts(10_000 * 8 * MiB)).toEqual({ partSize: 8 * MiB, partCount: 10_000 });
    expect(planParts(10_000 * 8 * MiB + 1).partCount).toBeLessThanOrEqual(10_000);
  });

  it("refuses a negative or fractional size", () => {
    expect(() => planParts(-1)).toThrow(RangeError);
    expect(() => planParts(1.5)).toThrow(RangeError);
  });
});

describe("partRanges", () => {
  it("orders parts by number and lays them end to end", () => {
    expect(partRanges([{ number: 2, size: 3 }, { number: 1, size: 5 }], 8)).toEqual([
      { number: 1, start: 0, end: 5 },
      { number: 2, start: 5, end: 8 },
    ]);
  });

  it("refuses a plan that does not add up, skips a number or is empty", () => {
    expect(() => partRanges([{ number: 1, size: 5 }], 6)).toThrow(/add up/);
    expect(() => partRanges([{ number: 1, size: 5 }, { number: 3, size: 1 }], 6)).toThrow(/numbered/);
    expect(() => partRanges([], 0)).toThrow(/add up/);
  });
});
