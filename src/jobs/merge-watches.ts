/**
 * The states of several watches as they come, ending once all have ended. No imports: `watchMany`
 * loads it only on a server without the many-jobs stream (spec §8.2.1), and it adds nothing else
 * to that lazy chunk.
 *
 * @example
 * yield* mergeWatches(ids.map((id) => watchJob(client, id, { signal })))
 */
export async function* mergeWatches<J>(watches: readonly AsyncIterator<J>[]): AsyncGenerator<J, void, undefined> {
  const next = (i: number) => watches[i]!.next().then((result) => ({ i, result }));
  const inFlight = new Map(watches.map((_, i) => [i, next(i)]));
  while (inFlight.size > 0) {
    const { i, result } = await Promise.race(inFlight.values());
    if (result.done) inFlight.delete(i);
    else {
      inFlight.set(i, next(i));
      yield result.value;
    }
  }
}
