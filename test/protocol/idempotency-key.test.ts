import { describe, expect, it } from "vitest";
import { formatIdempotencyKey, parseIdempotencyKey } from "async-jobs/protocol";
import { idempotencyKeySpellings } from "./protocol-tables.ts";

describe("parseIdempotencyKey (spec §2)", () => {
  it.each(idempotencyKeySpellings)("$header → $key", ({ header, key }) => {
    expect(parseIdempotencyKey(header)).toEqual(key === "malformed" ? { kind: "malformed" } : { kind: "key", key });
  });

  it("is absent without a header", () => {
    expect(parseIdempotencyKey(null)).toEqual({ kind: "absent" });
    expect(parseIdempotencyKey(undefined)).toEqual({ kind: "absent" });
  });

  it("an empty value is malformed, bare or quoted", () => {
    expect(parseIdempotencyKey("")).toEqual({ kind: "malformed" });
    expect(parseIdempotencyKey('""')).toEqual({ kind: "malformed" });
    // Starts with `"` but is no valid sf-string: a bare key never starts with `"` (spec §2.3.2).
    expect(parseIdempotencyKey('"\\"').kind).toBe("malformed");
  });

  it("reads back what formatIdempotencyKey writes, for every printable ASCII character", () => {
    const all = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join("");
    for (const key of [all, '"', "\\", '"quoted"', "k"]) {
      expect(parseIdempotencyKey(formatIdempotencyKey(key))).toEqual({ kind: "key", key });
    }
  });

  it("formatIdempotencyKey refuses what no server would take", () => {
    expect(() => formatIdempotencyKey("")).toThrow(TypeError);
    expect(() => formatIdempotencyKey("x".repeat(256))).toThrow(TypeError);
  });
});
