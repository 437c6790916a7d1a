import { describe, expect, test } from "vitest";
import { parseRange } from "../../src/uploads/byte-range.ts";
import { partSizeOf, planParts, S3_LIMITS } from "../../src/uploads/part-plan.ts";

const MiB = 1024 ** 2;

describe("planParts (S3 rules)", () => {
  test("a size of 0 is one empty part", () => {
    const plan = planParts({ size: 0 });
    expect(plan.partCount).toBe(1);
    expect(partSizeOf({ ...plan, size: 0 }, 1)).toBe(0);
  });

  test("the hint is honoured when within the rules", () => {
    expect(planParts({ size: 20 * MiB, partSizeHint: 8 * MiB })).toEqual({ partSize: 8 * MiB, partCount: 3 });
  });

  test("a hint below the minimum part size is raised to it", () => {
    expect(planParts({ size: 20 * MiB, partSizeHint: 1024 })).toEqual({ partSize: 5 * MiB, partCount: 4 });
    expect(planParts({ size: 20 * MiB, partSizeHint: 1024, minPartSize: 64 * 1024 })).toEqual({
      partSize: 64 * 1024,
      partCount: 320,
    });
  });

  test("without a hint the default part size is used", () => {
    expect(planParts({ size: 100 * MiB }).partSize).toBe(8 * MiB);
    expect(planParts({ size: 100 * MiB, minPartSize: 16 * MiB }).partSize).toBe(16 * MiB);
  });

  test("parts grow so that at most 10,000 hold the file, up to 5 TiB", () => {
    const plan = planParts({ size: S3_LIMITS.maxSize, partSizeHint: 5 * MiB });
    expect(plan.partCount).toBeLessThanOrEqual(10_000);
    expect(plan.partSize).toBeLessThanOrEqual(S3_LIMITS.maxPartSize);
    expect(plan.partSize * plan.partCount).toBeGreaterThanOrEqual(S3_LIMITS.maxSize);
    const big = planParts({ size: 100_000 * MiB, minPartSize: 1 });
    expect(big.partCount).toBeLessThanOrEqual(10_000);
  });

  test("the last part holds the rest", () => {
    const plan = { ...planParts({ size: 10 * MiB + 3, partSizeHint: 5 * MiB }), size: 10 * MiB + 3 };
    expect(plan.partCount).toBe(3);
    expect([1, 2, 3].map((n) => partSizeOf(plan, n))).toEqual([5 * MiB, 5 * MiB, 3]);
  });

  test("sizes outside 0..5 TiB are refused", () => {
    expect(() => planParts({ size: -1 })).toThrow(RangeError);
    expect(() => planParts({ size: S3_LIMITS.maxSize + 1 })).toThrow(RangeError);
  });
});

describe("parseRange", () => {
  test.each([
    [undefined, 100, { kind: "whole" }],
    ["bytes=0-9", 100, { kind: "range", range: { start: 0, end: 9 } }],
    ["bytes=90-", 100, { kind: "range", range: { start: 90, end: 99 } }],
    ["bytes=90-200", 100, { kind: "range", range: { start: 90, end: 99 } }],
    ["bytes=-10", 100, { kind: "range", range: { start: 90, end: 99 } }],
    ["bytes=-1000", 100, { kind: "range", range: { start: 0, end: 99 } }],
    ["bytes=100-", 100, { kind: "unsatisfiable" }],
    ["bytes=0-", 0, { kind: "unsatisfiable" }],
    ["bytes=-0", 100, { kind: "unsatisfiable" }],
    ["bytes=5-1", 100, { kind: "whole" }],
    ["bytes=0-1,5-6", 100, { kind: "whole" }],
    ["items=0-1", 100, { kind: "whole" }],
  ] as const)("%s of %i bytes", (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});
