/** Batches concurrent writes into shared transactions; see {@link createGroupCommit}. */
export interface GroupCommit<T, R> {
  /** Resolves with this item's result once the batch holding it has committed. */
  submit(item: T): Promise<R>;
}

export interface GroupCommitOptions<T, R> {
  /** Writes a batch in one transaction; returns one result per item, in order. */
  run(items: T[]): Promise<R[]>;
  /** Items that must not share a batch (same idempotency key) name the same conflict key. */
  conflictKey?(item: T): string | undefined;
  /** @default 256 */
  maxBatch?: number;
  /** Batches in flight at once (one commits while the next one executes). @default 2 */
  maxInFlight?: number;
}

interface Entry<T, R> {
  item: T;
  resolve(value: R): void;
  reject(error: unknown): void;
}

/**
 * Group commit: writes submitted while a batch is in flight (or in the same tick) go together
 * in the next one, so many concurrent callers share one commit, one WAL flush and one NOTIFY
 * lock. Postgres serialises the commits of transactions that NOTIFY (the notification queue
 * lock is held through the WAL flush), so without this every submit costs one fsync in a row.
 * A failed batch is retried item by item, so each item gets its own outcome.
 *
 * @example
 * const inserts = createGroupCommit({ run: (rows) => insertMany(rows) });
 * const id = await inserts.submit(row);
 */
export function createGroupCommit<T, R>(options: GroupCommitOptions<T, R>): GroupCommit<T, R> {
  const maxBatch = options.maxBatch ?? 256;
  const maxInFlight = options.maxInFlight ?? 2;
  let waiting: Entry<T, R>[] = [];
  let inFlight = 0;
  let scheduled = false;

  function schedule() {
    if (scheduled || inFlight >= maxInFlight || waiting.length === 0) return;
    scheduled = true;
    setImmediate(flush);
  }

  function takeBatch(): Entry<T, R>[] {
    const batch: Entry<T, R>[] = [];
    const rest: Entry<T, R>[] = [];
    const keys = new Set<string>();
    for (const entry of waiting) {
      const key = options.conflictKey?.(entry.item);
      if (batch.length >= maxBatch || (key !== undefined && keys.has(key))) {
        rest.push(entry);
        continue;
      }
      if (key !== undefined) keys.add(key);
      batch.push(entry);
    }
    waiting = rest;
    return batch;
  }

  function flush() {
    scheduled = false;
    while (inFlight < maxInFlight && waiting.length > 0) {
      const batch = takeBatch();
      inFlight++;
      options
        .run(batch.map((e) => e.item))
        .then(
          (results) => batch.forEach((entry, i) => entry.resolve(results[i]!)),
          (error) => {
            if (batch.length === 1) return batch[0]!.reject(error);
            // One bad item (or a deadlock between two processes' batches) must not fail the others.
            for (const entry of batch) options.run([entry.item]).then((r) => entry.resolve(r[0]!), entry.reject);
          },
        )
        .finally(() => {
          inFlight--;
          schedule();
        });
    }
  }

  return {
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        schedule();
      });
    },
  };
}
