/**
 * How mock time moves.
 * - `"auto"`: time follows the wall clock, and a request that waits (`Prefer: wait`) jumps it
 *   forward to the next scheduled event, so `submitAndWait` finishes at once however long the job.
 * - `"manual"`: time moves only when the test calls `advance(ms)`, `step()` or `runAll()`.
 */
export type MockTimeMode = "auto" | "manual";

/**
 * A virtual clock with a queue of timed callbacks: the mock's single source of "now".
 *
 * @example
 * const s = createVirtualScheduler("manual", 0);
 * s.schedule(1000, () => console.log("one second later"));
 * s.advance(1000); // logs
 */
export interface VirtualScheduler {
  readonly mode: MockTimeMode;
  /** Current virtual time in epoch milliseconds. */
  now(): number;
  /** Runs `fn` once virtual time reaches `at`. */
  schedule(at: number, fn: () => void): void;
  /** Time of the earliest pending callback, if any. */
  nextAt(): number | undefined;
  /** Runs every callback due by now, in time order (ties in scheduling order). */
  runDue(): void;
  /** Moves time forward by `ms` (both modes), running what falls due. */
  advance(ms: number): void;
  /** Moves time forward to `at` if it is later than now, running what falls due. */
  skipTo(at: number): void;
}

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * Creates the mock's clock.
 *
 * @example
 * const s = createVirtualScheduler("auto", Date.now());
 */
export function createVirtualScheduler(mode: MockTimeMode, startMs: number): VirtualScheduler {
  // auto: wall clock plus every jump made so far; manual: start plus every advance.
  let offset = mode === "auto" ? startMs - Date.now() : 0;
  let manualNow = startMs;
  let seq = 0;
  // Kept sorted by (at, seq): tests hold few events, so insertion sort beats a heap in size.
  const queue: Entry[] = [];
  const now = () => (mode === "auto" ? Date.now() + offset : manualNow);

  const runDue = () => {
    const t = now();
    while (queue.length > 0 && queue[0]!.at <= t) queue.shift()!.fn();
  };
  const skipTo = (at: number) => {
    const delta = at - now();
    if (delta > 0) {
      if (mode === "auto") offset += delta;
      else manualNow += delta;
    }
    runDue();
  };

  return {
    mode,
    now,
    schedule(at, fn) {
      const entry = { at, seq: seq++, fn };
      let i = queue.length;
      while (i > 0 && queue[i - 1]!.at > at) i--;
      queue.splice(i, 0, entry);
    },
    nextAt: () => queue[0]?.at,
    runDue,
    advance: (ms) => skipTo(now() + ms),
    skipTo,
  };
}
