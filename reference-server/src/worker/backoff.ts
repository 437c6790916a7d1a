/**
 * Delay before retry `attempt + 1` after a retryable failure: exponential from `baseMs`, capped,
 * with full jitter on the upper half so many failing jobs do not retry in lockstep (spec §2).
 *
 * @example
 * retryDelayMs(3, { baseMs: 500, maxMs: 60_000 }); // between 1000 and 2000
 */
export function retryDelayMs(attempt: number, options: { baseMs: number; maxMs: number }, random = Math.random): number {
  const exp = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (random() * exp) / 2);
}
