import { describe, expect, it } from "vitest";
import { backoffDelay, fullJitter } from "../../src/internal/backoff.ts";
import { formatIdempotencyKey } from "../../src/protocol/idempotency-key.ts";
import { parseRetryAfter } from "../../src/internal/retry-after.ts";

// The pure pieces of the retry policy (internal modules, tested directly).
describe("parseRetryAfter", () => {
  const now = Date.parse("2026-11-23T10:00:00Z");
  const parse = (h: Record<string, string>) => parseRetryAfter(new Headers(h), now);
  it("reads seconds", () => expect(parse({ "retry-after": "7" })).toBe(7000));
  it("reads an HTTP date, a past one as 0", () => {
    expect(parse({ "retry-after": "Mon, 23 Nov 2026 10:00:05 GMT" })).toBe(5000);
    expect(parse({ "retry-after": "Mon, 23 Nov 2026 09:00:00 GMT" })).toBe(0);
  });
  it("prefers retry-after-ms, fractions allowed", () => expect(parse({ "retry-after-ms": "12.5", "retry-after": "3" })).toBe(12.5));
  it("ignores garbage and absence", () => {
    expect(parse({ "retry-after": "soon" })).toBeUndefined();
    expect(parse({ "retry-after-ms": "-1" })).toBeUndefined();
    expect(parse({})).toBeUndefined();
  });
});

describe("backoff", () => {
  it("doubles from the initial delay up to the cap", () => {
    const o = { initialMs: 500, factor: 2, maxMs: 8000 };
    expect([0, 1, 2, 3, 4, 5, 9].map((n) => backoffDelay(n, o))).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });
  it("full jitter is uniform in [0, ms)", () => {
    expect(fullJitter(1000, () => 0)).toBe(0);
    expect(fullJitter(1000, () => 0.999)).toBe(999);
  });
});

describe("formatIdempotencyKey", () => {
  it("quotes and escapes as a structured-field string", () => expect(formatIdempotencyKey('a"b\\c')).toBe('"a\\"b\\\\c"'));
  it("refuses keys outside 1-255 printable ASCII", () => {
    expect(() => formatIdempotencyKey("x".repeat(256))).toThrow(TypeError);
    expect(() => formatIdempotencyKey("tab\t")).toThrow(TypeError);
  });
});
