/**
 * The median of `values` (the mean of the middle two for an even count).
 *
 * @example
 * median([3, 1, 2]); // 2
 */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The item whose `value` is the median (the upper one of an even count), so what was measured
 * with it (its bare counterpart, a CPU note) goes with it.
 *
 * @example
 * medianBy(pairs, (p) => p.server.rps / p.bare.rps);
 */
export function medianBy<T>(items: readonly T[], value: (item: T) => number): T {
  return [...items].sort((a, b) => value(a) - value(b))[items.length >> 1]!;
}
