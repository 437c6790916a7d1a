import type { ClientOptions } from "async-jobs";

/**
 * A retry clock that sleeps no real time and records every wait the policy asked for: waits
 * are measured exactly, with no patched timers.
 */
export function recordingClock(random = 0.5, start = Date.parse("2026-10-21T07:27:00Z")) {
  const sleeps: number[] = [];
  let now = start;
  const clock: NonNullable<ClientOptions["clock"]> = {
    now: () => now,
    random: () => random,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      now += ms;
    },
  };
  return { clock, sleeps, now: () => now };
}
