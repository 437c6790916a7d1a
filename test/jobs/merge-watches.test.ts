import { describe, expect, it } from "vitest";
import { mergeWatches } from "../../src/jobs/merge-watches.ts";
import { keptAfterGc } from "../helpers/kept-after-gc.ts";

/** A watch whose states are pushed by the test, and which ends (or fails) when told to. */
function pushedWatch<J>() {
  const queue: ((result: Promise<IteratorResult<J>>) => void)[] = [];
  const ready: Promise<IteratorResult<J>>[] = [];
  const deliver = (result: Promise<IteratorResult<J>>) => {
    const waiting = queue.shift();
    if (waiting) waiting(result);
    else ready.push(result);
  };
  return {
    watch: { next: () => ready.shift() ?? new Promise<IteratorResult<J>>((resolve) => queue.push(resolve)) } as AsyncIterator<J>,
    push: (value: J) => deliver(Promise.resolve({ done: false, value })),
    end: () => deliver(Promise.resolve({ done: true, value: undefined })),
    fail: (error: Error) => deliver(Promise.reject(error)),
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("mergeWatches", () => {
  it("yields every watch's states as they come and ends once all have ended", async () => {
    const a = pushedWatch<string>();
    const b = pushedWatch<string>();
    const merged = mergeWatches([a.watch, b.watch]);
    const seen: string[] = [];
    const done = (async () => {
      for await (const state of merged) seen.push(state);
    })();
    b.push("b1");
    await tick();
    a.push("a1");
    await tick();
    b.push("b2");
    b.end();
    await tick();
    expect(seen).toEqual(["b1", "a1", "b2"]);
    a.end();
    await done;
    expect(seen).toEqual(["b1", "a1", "b2"]);
  });

  it("throws the first watch's failure", async () => {
    const a = pushedWatch<string>();
    const merged = mergeWatches([a.watch, pushedWatch<string>().watch]);
    a.fail(new Error("stream refused"));
    await expect(merged.next()).rejects.toThrow("stream refused");
  });

  it("keeps no state of a busy watch alive while another stays quiet", async () => {
    const quiet = pushedWatch<object>();
    const busy = pushedWatch<object>();
    const merged = mergeWatches([quiet.watch, busy.watch]);
    const passedOn: WeakRef<object>[] = [];
    for (let i = 0; i < 20; i++) {
      const state = { i };
      passedOn.push(new WeakRef(state));
      busy.push(state);
      expect((await merged.next()).value).toBe(state);
    }
    // The last state may still sit in the generator's frame; none of the others is kept.
    expect(await keptAfterGc(passedOn)).toBeLessThanOrEqual(1);
    quiet.end();
    busy.end();
    expect((await merged.next()).done).toBe(true);
  });
});
