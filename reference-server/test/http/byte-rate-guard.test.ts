import { describe, expect, it } from "vitest";
import { keptAfterGc } from "../../../test/helpers/kept-after-gc.ts";
import { guardByteRate } from "../../src/http/byte-rate-guard.ts";

describe("guardByteRate", () => {
  it("keeps no chunk alive once passed on, while the body goes on (a part's bytes die young)", async () => {
    const passedOn: WeakRef<Uint8Array>[] = [];
    let endBody!: () => void;
    async function* body() {
      for (let i = 0; i < 20; i++) {
        const chunk = new Uint8Array(1024);
        passedOn.push(new WeakRef(chunk));
        yield chunk;
      }
      await new Promise<void>((resolve) => (endBody = resolve));
    }
    const guarded = guardByteRate(body(), { minBytesPerS: 1, graceMs: 60_000 })[Symbol.asyncIterator]();
    for (let i = 0; i < 20; i++) expect((await guarded.next()).done).toBe(false);
    const last = guarded.next(); // waiting for a chunk that has not come yet
    // The generator's frame may still hold the last chunk it made; none of the others is kept.
    expect(await keptAfterGc(passedOn)).toBeLessThanOrEqual(1);
    endBody();
    expect((await last).done).toBe(true);
  });

  it("fails the wait for a chunk that does not come in time with a 408 problem", async () => {
    let clock = 0;
    async function* silent() {
      yield new Uint8Array(10);
      await new Promise(() => {}); // never sends the rest
    }
    const guarded = guardByteRate(silent(), { minBytesPerS: 100, graceMs: 1_000, checkEveryMs: 5, now: () => clock })[Symbol.asyncIterator]();
    expect((await guarded.next()).done).toBe(false);
    clock = 2_000; // 10 bytes where 100 are owed
    await expect(guarded.next()).rejects.toMatchObject({ status: 408 });
  });
});
