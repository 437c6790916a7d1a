/**
 * The states of several watches as they come, ending once all have ended. No imports: `watchMany`
 * loads it only on a server without the many-jobs stream (spec §8.2.1), and it adds nothing else
 * to that lazy chunk.
 *
 * @example
 * yield* mergeWatches(ids.map((id) => watchJob(client, id, { signal })))
 */
export async function* mergeWatches<J>(watches: readonly AsyncIterator<J>[]): AsyncGenerator<J, void, undefined> {
  // Reads in the order they settled, and one wake-up. Not Promise.race over the reads in flight:
  // each race adds a reaction to every read still pending, so a quiet watch would keep one (and
  // the state it was won with) per change of every other watch until its own next change.
  const settled: ({ i: number; ok: true; result: IteratorResult<J> } | { i: number; ok: false; error: unknown })[] = [];
  let wake = () => {};
  const read = (i: number) => {
    watches[i]!.next().then(
      (result) => settled.push({ i, ok: true, result }),
      (error: unknown) => settled.push({ i, ok: false, error }),
    ).then(() => wake());
  };
  watches.forEach((_, i) => read(i));
  for (let open = watches.length; open > 0; ) {
    if (settled.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    const next = settled.shift()!;
    if (!next.ok) throw next.error;
    if (next.result.done) open--;
    else {
      read(next.i);
      yield next.result.value;
    }
  }
}
