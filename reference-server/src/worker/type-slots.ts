/**
 * Per-type concurrency of one worker process: `acquire` resolves with a release function once
 * fewer than `limit` jobs of the type run (no limit: at once); it rejects with the signal's
 * reason if that aborts first. Waiters of a type are woken in order.
 *
 * @example
 * const release = await slots.acquire("text.wordcount", 4, signal); try { … } finally { release(); }
 */
export function createTypeSlots() {
  const running = new Map<string, number>();
  const waiting = new Map<string, (() => void)[]>();
  return {
    async acquire(type: string, limit: number | undefined, signal: AbortSignal): Promise<() => void> {
      if (limit === undefined) return () => {};
      while ((running.get(type) ?? 0) >= limit) {
        signal.throwIfAborted();
        await new Promise<void>((resolve, reject) => {
          const queue = waiting.get(type) ?? [];
          waiting.set(type, queue);
          const wake = () => {
            signal.removeEventListener("abort", onAbort);
            resolve();
          };
          const onAbort = () => {
            const at = queue.indexOf(wake);
            if (at >= 0) queue.splice(at, 1);
            reject(signal.reason);
          };
          queue.push(wake);
          signal.addEventListener("abort", onAbort, { once: true });
        });
      }
      running.set(type, (running.get(type) ?? 0) + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        running.set(type, running.get(type)! - 1);
        waiting.get(type)?.shift()?.();
      };
    },
  };
}
