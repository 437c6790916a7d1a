import { describe, expect, it } from "vitest";
import { newId } from "../../src/new-id.ts";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** The 80-bit random part of a ULID-shaped id. */
const randomPart = (id: string) => [...id.split("_")[1]!.slice(10)].reduce((n, c) => n * 32n + BigInt(ALPHABET.indexOf(c)), 0n);
const timePart = (id: string) => id.split("_")[1]!.slice(0, 10);

describe("ids (hostile review finding 17)", () => {
  it("two ids minted in the same millisecond do not tell each other: no +1 neighbours", () => {
    const at = Date.now() + 10_000_000; // a millisecond no other test has used
    const ids = Array.from({ length: 50 }, () => newId("job", at));
    const steps = ids.slice(1).map((id, i) => randomPart(id) - randomPart(ids[i]!));
    // Each step is fresh randomness of up to 2^64: all positive (order kept), none guessable.
    for (const step of steps) expect(step > 2n ** 20n).toBe(true);
    expect(new Set(steps.map(String)).size).toBe(steps.length);
    expect(new Set(ids.map(timePart)).size).toBe(1);
  });

  it("ids of different prefixes minted together are unrelated too", () => {
    const at = Date.now() + 20_000_000;
    const job = newId("job", at);
    const evt = newId("evt", at);
    expect(randomPart(evt) - randomPart(job) > 2n ** 20n).toBe(true);
  });

  it("stays unique and sorted by time over 100k ids in a burst", () => {
    const ids = Array.from({ length: 100_000 }, () => newId("job"));
    expect(new Set(ids).size).toBe(ids.length);
    const sorted = [...ids].sort();
    expect(sorted).toEqual(ids);
  });
});
