/** Exponential backoff settings. */
export interface BackoffOptions {
  /** Delay before the first retry, before jitter. */
  initialMs: number;
  /** Growth per step. */
  factor: number;
  /** Cap, before jitter. */
  maxMs: number;
}

/**
 * The capped exponential delay of step `n` (0 = first), without jitter.
 *
 * @example
 * backoffDelay(2, { initialMs: 500, factor: 2, maxMs: 8000 }) // 2000
 */
export function backoffDelay(n: number, options: BackoffOptions): number {
  return Math.min(options.maxMs, options.initialMs * options.factor ** n);
}

/**
 * Full jitter: a uniform delay in [0, ms). It spreads retries from many clients so that they do
 * not hit a recovering server in waves (spec §6; AWS Architecture Blog, "Exponential
 * Backoff And Jitter").
 *
 * @example
 * fullJitter(backoffDelay(1, { initialMs: 500, factor: 2, maxMs: 8000 })) // somewhere in [0, 1000)
 */
export function fullJitter(ms: number, random: () => number = Math.random): number {
  return Math.floor(random() * ms);
}

/**
 * Decorrelated jitter: the next wait is drawn from [base, previous × growth], capped. Unlike full
 * jitter it never drops below `base`, and it grows from the last wait actually slept rather than
 * from a step count (AWS Architecture Blog, "Exponential Backoff And Jitter"). The plain-polling
 * waiter passes its previous wait as `base`, so its waits only grow (spec §6.3; docs/sdk.md).
 *
 * @example
 * decorrelatedJitter(1000, { initialMs: 1000, factor: 3, maxMs: 30_000 }) // somewhere in [1000, 3000)
 */
export function decorrelatedJitter(previousMs: number, options: BackoffOptions, random: () => number = Math.random): number {
  const base = options.initialMs;
  return Math.min(options.maxMs, Math.floor(base + random() * Math.max(0, previousMs * options.factor - base)));
}
