import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import type { UploadResumeStore } from "../uploads/resume-store.ts";
import type { UploadHandleState } from "../uploads/upload-handle.ts";

/**
 * Where the Node entry keeps its resume store by default: the user's cache directory
 * (`~/.cache`, `~/Library/Caches`, `%LOCALAPPDATA%`). Fixed paths, not `XDG_CACHE_HOME`: the SDK
 * reads no environment; pass `path` to choose.
 *
 * @example
 * defaultResumeStorePath() // "/home/ana/.cache/async-jobs/uploads.json"
 */
export function defaultResumeStorePath(platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  const cache =
    platform === "darwin" ? join(home, "Library", "Caches") : platform === "win32" ? join(home, "AppData", "Local") : join(home, ".cache");
  return join(cache, "async-jobs", "uploads.json");
}

/**
 * A resume store in one JSON file (`{ key: state }`), so `resume: "auto"` finds an upload again
 * in a new process after a crash. Each write re-reads the file and replaces it atomically
 * (write, then rename); writes of this process go one at a time. Two processes writing at the
 * same moment may lose one entry: that upload then starts afresh, never wrongly. A missing or
 * unreadable file is an empty store.
 *
 * @example
 * await uploadFile(client, "./big.bin", { resume: "auto", resumeStore: createFileResumeStore({ path: "./.uploads.json" }) })
 */
export function createFileResumeStore(options: { path?: string } = {}): UploadResumeStore {
  const path = options.path ?? defaultResumeStorePath();
  let queue: Promise<unknown> = Promise.resolve();

  async function read(): Promise<Record<string, UploadHandleState>> {
    try {
      const parsed = JSON.parse(await readFile(path, "utf8")) as unknown;
      return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, UploadHandleState>) : {};
    } catch {
      return {};
    }
  }

  function update(change: (entries: Record<string, UploadHandleState>) => void): Promise<void> {
    const next = queue.then(async () => {
      const entries = await read();
      change(entries);
      await mkdir(dirname(path), { recursive: true });
      const temporary = `${path}.${process.pid}.tmp`;
      await writeFile(temporary, `${JSON.stringify(entries, null, 2)}\n`, { mode: 0o600 });
      await rename(temporary, path);
    });
    queue = next.catch(() => {});
    return next;
  }

  return {
    get: async (key) => {
      await queue;
      return (await read())[key];
    },
    set: (key, state) => update((entries) => void (entries[key] = state)),
    delete: (key) => update((entries) => void delete entries[key]),
  };
}
