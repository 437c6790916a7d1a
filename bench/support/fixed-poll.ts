// The baseline of the plain-polling benches: a poll every `periodMs` from the wait's start.

/** The arithmetic mean. */
export const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * What a fixed poll every `periodMs` (reads at 0, T, 2T, …) sends and sees for jobs ending at
 * `durations` ms after the wait began, exactly: ⌈D/T⌉ + 1 reads, detected at ⌈D/T⌉·T.
 *
 * @example
 * fixedPoll([2500], 1000) // { periodMs: 1000, delays: [500], requests: [4] }
 */
export function fixedPoll(durations: readonly number[], periodMs: number) {
  const polls = durations.map((d) => Math.ceil(d / periodMs));
  return { periodMs, delays: polls.map((n, i) => n * periodMs - durations[i]!), requests: polls.map((n) => n + 1) };
}

/**
 * The fixed poll whose mean request count over `durations` is `requests` (found by bisection:
 * the count falls as the period grows), the "equal request count" baseline of issue 14.
 *
 * @example
 * fixedPollAt(durations, 3.2).periodMs
 */
export function fixedPollAt(durations: readonly number[], requests: number) {
  let [lo, hi] = [1, 3_600_000];
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (mean(fixedPoll(durations, mid).requests) > requests) lo = mid;
    else hi = mid;
  }
  return fixedPoll(durations, (lo + hi) / 2);
}
