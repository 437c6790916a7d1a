import { describe, expect, it } from "vitest";
import { createInFlight } from "../src/in-flight.ts";
import { createRerunLoop } from "../src/rerun-loop.ts";

// The claim loop the worker and the webhook deliverer share: one round at a time, triggers
// during a round folded into one more round.

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe("createRerunLoop", () => {
  it("runs one round at a time and folds the triggers during a round into one more round", async () => {
    const first = gate();
    let rounds = 0;
    let concurrent = 0;
    let most = 0;
    const run = createRerunLoop(
      async () => {
        rounds++;
        most = Math.max(most, ++concurrent);
        if (rounds === 1) await first.opened;
        concurrent--;
        return false;
      },
      { stopped: () => false, inFlight: createInFlight(), onError: (error) => { throw error; } },
    );
    const running = run();
    await Promise.all([run(), run(), run()]); // resolve at once: the running loop takes them
    first.open();
    await running;
    expect(rounds).toBe(2);
    expect(most).toBe(1);
  });

  it("goes again while a round fills its batch, until stopped", async () => {
    let rounds = 0;
    let stopped = false;
    const run = createRerunLoop(
      async () => {
        rounds++;
        if (rounds === 3) stopped = true;
        return true;
      },
      { stopped: () => stopped, inFlight: createInFlight(), onError: () => {} },
    );
    await run();
    expect(rounds).toBe(3);
  });

  it("counts the run in flight, and hands a failed round to onError, ending the run", async () => {
    const calls = createInFlight();
    const failure = new Error("store down");
    const errors: unknown[] = [];
    const release = gate();
    let rounds = 0;
    const run = createRerunLoop(
      async () => {
        rounds++;
        await release.opened;
        throw failure;
      },
      { stopped: () => false, inFlight: calls, onError: (error) => errors.push(error) },
    );
    const running = run();
    expect(await calls.settled(20)).toBe(false);
    release.open();
    await running;
    expect(await calls.settled(20)).toBe(true);
    expect(errors).toEqual([failure]);
    expect(rounds).toBe(1);
    await run(); // a later trigger starts a new run
    expect(rounds).toBe(2);
  });
});
