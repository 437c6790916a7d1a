import { describe, expect, it } from "vitest";
import { formatWaitPreference, parsePrefer, preferredWait } from "async-jobs/protocol";
import { preferSpellings } from "./protocol-tables.ts";

// One Prefer grammar for the SDK, the mock and the server (spec §2). The table is shared with
// the HTTP test that runs it against the mock and the reference server.
describe("parsePrefer", () => {
  it.each(preferSpellings)("$header → wait $wait", ({ header, wait }) => {
    expect(parsePrefer(header).wait).toBe(wait);
  });

  it.each([
    ["respond-async", true],
    ["RESPOND-ASYNC , wait=1", true],
    ["wait=1; respond-async", true],
    ["handling=lenient", false],
    [undefined, false],
  ] as const)("%s → respondAsync %s", (header, respondAsync) => {
    expect(parsePrefer(header).respondAsync).toBe(respondAsync);
  });

  it("reads several header values as one list, the first wait winning", () => {
    expect(parsePrefer(["respond-async", "wait=7", "wait=9"])).toEqual({ respondAsync: true, wait: 7 });
  });
});

describe("preferredWait", () => {
  it("caps the asked wait and is undefined without one", () => {
    expect(preferredWait("wait=30", 20)).toBe(20);
    expect(preferredWait("wait=3", 20)).toBe(3);
    expect(preferredWait("respond-async", 20)).toBeUndefined();
    expect(preferredWait("", 20)).toBeUndefined();
    expect(preferredWait(undefined, 20)).toBeUndefined();
  });

  it("writes the form it reads", () => {
    expect(preferredWait(formatWaitPreference(12), 20)).toBe(12);
  });
});
