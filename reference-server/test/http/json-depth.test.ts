import { describe, expect, it } from "vitest";
import { exceedsJsonDepth } from "../../src/http/json-depth.ts";

const nest = (n: number) => "[".repeat(n) + "]".repeat(n);

describe("exceedsJsonDepth", () => {
  it.each([
    ["scalar", "1", 1, false],
    ["empty object at the limit", "{}", 1, false],
    ["one level past", "[[]]", 1, true],
    ["objects and arrays count alike", '{"a":[{"b":1}]}', 2, true],
    ["exactly 64", nest(64), 64, false],
    ["65", nest(65), 64, true],
    ["5,000", nest(5000), 64, true],
    ["brackets in strings are text", JSON.stringify({ a: "[[[[{{{{".repeat(100) }), 1, false],
    ["escaped quotes do not end a string", JSON.stringify({ a: '\\"[[[[' }), 1, false],
    ["an escaped backslash before a quote ends the string", '["\\\\",[[1]]]', 2, true],
    ["siblings do not add up", "[" + Array(200).fill("[1]").join(",") + "]", 2, false],
    ["an unterminated string is left to JSON.parse", '["' + "[".repeat(100), 2, false],
  ])("%s", (_name, text, max, expected) => {
    expect(exceedsJsonDepth(text, max)).toBe(expected);
  });
});
