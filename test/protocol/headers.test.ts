import { describe, expect, it } from "vitest";
import { formatContentRange, formatRetryAfter, ifNoneMatchMatches, jobETag, parseRange, parseRetryAfter } from "async-jobs/protocol";
import { ifNoneMatchForms, rangeHeaders } from "./protocol-tables.ts";

describe("ifNoneMatchMatches (RFC 9110 §13.1.2, weak comparison)", () => {
  const etag = jobETag(3);
  it.each(ifNoneMatchForms)("$name → $matches", ({ header, matches }) => {
    expect(ifNoneMatchMatches(header(etag), etag)).toBe(matches);
  });

  it("never matches without a header; * inside a list is not the wildcard", () => {
    expect(ifNoneMatchMatches(undefined, etag)).toBe(false);
    expect(ifNoneMatchMatches(null, etag)).toBe(false);
    expect(ifNoneMatchMatches('"1", *', etag)).toBe(false);
    expect(ifNoneMatchMatches(" * ", etag)).toBe(true);
  });
});

describe("jobETag", () => {
  it("is a strong ETag of the version", () => {
    expect(jobETag(1)).toBe('"1"');
    expect(jobETag(2)).not.toBe(jobETag(1));
  });
});

describe("parseRange (RFC 9110 §14)", () => {
  it.each(rangeHeaders)("$name → $status", ({ header, status, bytes }) => {
    for (const size of [10, 37]) {
      const range = parseRange(header(size), size);
      if (status === 416) expect(range).toEqual({ kind: "unsatisfiable" });
      else if (status === 200) expect(range).toEqual({ kind: "whole" });
      else expect(range).toEqual({ kind: "range", range: { start: bytes!(size)[0], end: bytes!(size)[1] } });
    }
  });

  it.each([
    [undefined, 100, { kind: "whole" }],
    ["bytes=90-200", 100, { kind: "range", range: { start: 90, end: 99 } }],
    ["bytes=0-", 0, { kind: "unsatisfiable" }],
    ["bytes=-5", 0, { kind: "unsatisfiable" }],
  ] as const)("%s of %i bytes", (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });

  it("writes Content-Range for a 206 and a 416", () => {
    expect(formatContentRange({ start: 0, end: 9 }, 10)).toBe("bytes 0-9/10");
    expect(formatContentRange(undefined, 10)).toBe("bytes */10");
  });
});

describe("Retry-After (spec §1)", () => {
  const now = Date.parse("2026-10-21T07:27:00Z");
  it.each([
    ["2", 2000],
    [" 0 ", 0],
    ["Wed, 21 Oct 2026 07:28:00 GMT", 60_000],
    ["Wed, 21 Oct 2026 07:00:00 GMT", 0],
    ["soon", undefined],
    [null, undefined],
  ] as const)("%s → %s ms", (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it("writes whole seconds, rounded up", () => {
    expect(formatRetryAfter(1)).toBe("1");
    expect(formatRetryAfter(1.2)).toBe("2");
    expect(formatRetryAfter(-3)).toBe("0");
    expect(parseRetryAfter(formatRetryAfter(7), now)).toBe(7000);
  });
});
