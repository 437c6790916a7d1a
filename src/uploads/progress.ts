/**
 * Where an upload stands. `loadedBytes` never decreases and ends exactly at `totalBytes`.
 *
 * @example
 * onProgress: ({ loadedBytes, totalBytes }) => bar.update(loadedBytes / totalBytes)
 */
export interface UploadProgress {
  loadedBytes: number;
  totalBytes: number;
  partsDone: number;
  partCount: number;
}

/** What `uploadFile` tells its progress tracker. @example tracker.partBytes(3, 65536) */
export interface ProgressTracker {
  /** Bytes of part `number` sent so far in this attempt (a retry starts again from 0). */
  partBytes(number: number, bytes: number): void;
  /** Part `number` is stored (sent now, or found stored on resume). */
  partDone(number: number, size: number): void;
  /** Reports the current state now, whatever the throttle says (the final event). */
  flush(): void;
  /** No more events after this (the upload failed or was aborted). */
  stop(): void;
}

/**
 * Throttles progress to one event per `intervalMs` (the first at once, the latest state
 * always delivered by a trailing event or `flush`), and keeps it monotonic: a part counts
 * with the most bytes it ever reached, so a retried part does not move the bar back, and
 * once every part is done the sum is exactly the file size.
 *
 * @example
 * const tracker = createProgressTracker({ totalBytes: 10, partCount: 1, onProgress: console.log })
 */
export function createProgressTracker(init: {
  totalBytes: number;
  partCount: number;
  onProgress?: ((progress: UploadProgress) => void) | undefined;
  intervalMs?: number;
  /** Parts already stored (a resume): counted from the first event on. */
  stored?: ReadonlyArray<{ number: number; size: number }>;
}): ProgressTracker {
  const { totalBytes, partCount, onProgress, intervalMs = 100, stored = [] } = init;
  const reached = new Map<number, number>();
  const done = new Set<number>();
  let loadedBytes = 0;
  let lastEmitAt = -Infinity;
  let emitted = { loadedBytes: -1, partsDone: -1 };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  function emit() {
    timer = undefined;
    if (stopped || !onProgress) return;
    if (loadedBytes === emitted.loadedBytes && done.size === emitted.partsDone) return;
    emitted = { loadedBytes, partsDone: done.size };
    lastEmitAt = Date.now();
    onProgress({ loadedBytes, totalBytes, partsDone: done.size, partCount });
  }

  function schedule() {
    if (stopped || !onProgress || timer) return;
    const wait = lastEmitAt + intervalMs - Date.now();
    if (wait <= 0) emit();
    else timer = setTimeout(emit, wait);
  }

  function raise(number: number, bytes: number) {
    const before = reached.get(number) ?? 0;
    if (bytes <= before) return false;
    reached.set(number, bytes);
    loadedBytes += bytes - before;
    return true;
  }

  for (const part of stored) {
    raise(part.number, part.size);
    done.add(part.number);
  }

  return {
    partBytes(number, bytes) {
      if (done.has(number)) return;
      if (raise(number, bytes)) schedule();
    },
    partDone(number, size) {
      raise(number, size);
      done.add(number);
      schedule();
    },
    flush() {
      if (timer) clearTimeout(timer);
      emit();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
