import type { InFlight } from "./in-flight.ts";

/** See {@link createRerunLoop}. */
export interface RerunLoopOptions {
  /** Checked after each round: once true, no further round starts. */
  stopped(): boolean;
  /** Counts a run in flight, so a drain can wait for its store calls. */
  inFlight: InFlight;
  /** A round threw: the run ends here; the next trigger starts a new one. */
  onError(error: unknown): void;
}

/**
 * One claim loop for the worker and the webhook deliverer, which are woken by many triggers (a
 * change notice, a timer, a finished job): rounds run one at a time, and a trigger while one runs
 * asks for one more round after it instead of a second claim in parallel. A round resolves `true`
 * to go again at once (it filled its batch: more may be waiting).
 *
 * @example
 * const tick = createRerunLoop(async () => (await claimUpTo(free)).length === free, { stopped: () => draining, inFlight: calls, onError: log });
 * store.changes.onAny(() => void tick());
 */
export function createRerunLoop(round: () => Promise<boolean>, { stopped, inFlight, onError }: RerunLoopOptions): () => Promise<void> {
  let running = false;
  let again = false;
  return async function run() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    const end = inFlight.begin();
    try {
      do {
        again = false;
        if (await round()) again = true;
      } while (again && !stopped());
    } catch (error) {
      onError(error);
    } finally {
      running = false;
      end();
    }
  };
}
