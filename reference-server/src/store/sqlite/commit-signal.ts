import { closeSync, constants, type FSWatcher, openSync, watch, writeSync } from "node:fs";

/** A file that every process on one SQLite file touches after its commits; see {@link openCommitSignal}. */
export interface CommitSignal {
  /** Tells the other processes this one committed (one byte written, no fsync). */
  bump(): void;
  /** Whether change events of the file arrive here; without them only a poll finds other processes' commits. */
  readonly watching: boolean;
  close(): void;
}

const oneByte = new Uint8Array(1);

/**
 * The push path for other processes' commits on one SQLite file. SQLite tells no other process
 * of a commit, and its WAL cannot stand in (a frame is written before the commit is visible):
 * so each process's writer bumps `<db>-commits` after a commit, and every process watches that
 * file (inotify on Linux) and then checks `PRAGMA data_version` at once, instead of up to a
 * poll interval later. The poll stays, for filesystems without change events and processes
 * that do not bump. Touching a file costs a write syscall per committed batch; nothing when idle.
 *
 * @example
 * const signal = openCommitSignal(`${path}-commits`, () => lookForExternalCommits());
 * commitBatch(); signal.bump();
 */
export function openCommitSignal(path: string, onBump: () => void): CommitSignal {
  // Neither appended to nor truncated: the one byte at offset 0 is rewritten, the file stays 1 byte.
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT, 0o644);
  } catch {
    // Cannot be created (a full disk): this process only polls, and the others poll for its commits.
  }
  let watcher: FSWatcher | undefined;
  let closed = false;
  const start = () => {
    try {
      watcher = watch(path, { persistent: false }, (event) => {
        onBump();
        // Replaced or removed (an operator's cleanup): watch the new file; the poll covers the gap.
        if (event === "rename" && !closed) restart();
      });
      watcher.on("error", () => restart());
    } catch {
      // No change events here (or the file is gone): the poll alone finds other processes' commits.
      watcher = undefined;
    }
  };
  const restart = () => {
    watcher?.close();
    watcher = undefined;
    if (!closed) setTimeout(start, 100).unref();
  };
  start();
  return {
    bump() {
      if (fd === undefined) return;
      try {
        writeSync(fd, oneByte, 0, 1, 0);
      } catch {
        // A full disk refuses the byte: the others see the commit by polling.
      }
    },
    get watching() {
      return watcher !== undefined;
    },
    close() {
      closed = true;
      watcher?.close();
      if (fd !== undefined) closeSync(fd);
    },
  };
}
