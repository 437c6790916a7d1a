import { describe, expect, it, vi } from "vitest";
import type { UploadProgress } from "async-jobs/uploads";
import { createProgressTracker } from "../../src/uploads/progress.ts";

// The progress tracker alone: throttling on a fake clock, monotonic under retries, exact at the end.
describe("createProgressTracker", () => {
  it("emits the first event at once, then at most one per interval, the latest state trailing", () => {
    vi.useFakeTimers();
    try {
      const events: UploadProgress[] = [];
      const t = createProgressTracker({ totalBytes: 100, partCount: 2, onProgress: (p) => events.push(p), intervalMs: 100 });
      t.partBytes(1, 10);
      t.partBytes(1, 20);
      t.partBytes(1, 30);
      expect(events.map((e) => e.loadedBytes)).toEqual([10]);
      vi.advanceTimersByTime(100);
      expect(events.map((e) => e.loadedBytes)).toEqual([10, 30]);
      t.partDone(1, 50);
      t.partDone(2, 50);
      t.flush();
      expect(events.at(-1)).toEqual({ loadedBytes: 100, totalBytes: 100, partsDone: 2, partCount: 2 });
      vi.advanceTimersByTime(1_000);
      expect(events).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it("does not move back when a part restarts, nor count it twice", () => {
    const events: UploadProgress[] = [];
    const t = createProgressTracker({ totalBytes: 20, partCount: 2, onProgress: (p) => events.push(p), intervalMs: 0 });
    t.partBytes(1, 8);
    t.partBytes(1, 2); // a retry starts again from 0
    t.partBytes(1, 9);
    t.partDone(1, 10);
    t.partDone(2, 10);
    t.flush();
    const loaded = events.map((e) => e.loadedBytes);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
    expect(loaded.at(-1)).toBe(20);
  });

  it("ignores bytes reported after a part is done, and emits nothing after stop", () => {
    const events: UploadProgress[] = [];
    const t = createProgressTracker({ totalBytes: 10, partCount: 1, onProgress: (p) => events.push(p), intervalMs: 0 });
    t.partDone(1, 10);
    t.partBytes(1, 99);
    t.stop();
    t.flush();
    expect(events).toEqual([{ loadedBytes: 10, totalBytes: 10, partsDone: 1, partCount: 1 }]);
  });
});
