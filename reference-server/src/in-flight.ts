/** Counts store calls in flight so a drain can wait for them; see {@link createInFlight}. */
export interface InFlight {
  /** Marks one call as started; call the returned function when it has settled. */
  begin(): () => void;
  /**
   * Resolves `true` once nothing is in flight (at once when nothing is), or `false` after
   * `timeoutMs`: a call to a store that never answers (a partition) must not hold a drain forever.
   */
  settled(timeoutMs?: number): Promise<boolean>;
}

/**
 * Store calls still in flight (the worker's claims, heartbeats and lease recoveries; the webhook
 * deliverer's outbox claims). A drain that does not wait for them loses the jobs of a claim that
 * returns after the drain began (they start on a store about to close and stay `running` until
 * their lease expires: issue 20), and a late heartbeat or delivery record hits an ended pool.
 *
 * @example
 * const calls = createInFlight();
 * const end = calls.begin(); try { await store.claimJobs(…) } finally { end() }
 * await calls.settled();
 */
export function createInFlight(): InFlight {
  let count = 0;
  let waiters: (() => void)[] = [];
  return {
    begin() {
      count++;
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        if (--count > 0) return;
        const ready = waiters;
        waiters = [];
        for (const resolve of ready) resolve();
      };
    },
    settled(timeoutMs = Infinity) {
      if (count === 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const timer = Number.isFinite(timeoutMs) ? setTimeout(() => resolve(false), timeoutMs) : undefined;
        waiters.push(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    },
  };
}
