import type { UploadHandleState } from "./upload-handle.ts";

/**
 * Where `uploadFile(…, { resume: "auto" })` keeps the pending upload of each source, by key
 * (the server's base URL and the source's fingerprint). Any of the three methods may be
 * synchronous or not. Pick one per runtime: memory, `localStorage` (browsers), a JSON file
 * (`async-jobs/uploads/node`), or your own.
 *
 * @example
 * const store: UploadResumeStore = createMemoryResumeStore()
 */
export interface UploadResumeStore {
  get(key: string): UploadHandleState | undefined | Promise<UploadHandleState | undefined>;
  set(key: string, state: UploadHandleState): void | Promise<void>;
  delete(key: string): void | Promise<void>;
}

/**
 * The store key of a source on a server: an upload id means nothing on another server.
 *
 * @example
 * resumeKey("https://jobs.example.com", "file:v1:talk.mp4:…") // "https://jobs.example.com file:v1:talk.mp4:…"
 */
export function resumeKey(baseUrl: string, fingerprint: string): string {
  return `${baseUrl.replace(/\/+$/, "")} ${fingerprint}`;
}

/**
 * A store in this process's memory: a resume after an abort or an error, not after a crash.
 *
 * @example
 * await uploadFile(client, file, { resume: "auto", resumeStore: createMemoryResumeStore() })
 */
export function createMemoryResumeStore(): UploadResumeStore {
  const entries = new Map<string, UploadHandleState>();
  return {
    get: (key) => structuredClone(entries.get(key)),
    set: (key, state) => void entries.set(key, structuredClone(state)),
    delete: (key) => void entries.delete(key),
  };
}

/** The part of the Web Storage API the store uses (`localStorage`, `sessionStorage`, or a stand-in). */
export type KeyValueStorage = Pick<Storage, "getItem" | "setItem" | "removeItem">;

/**
 * A store in `localStorage` (or any Web Storage): survives a reload and a closed tab, so a page
 * picks its upload up again when the user picks the same file. Entries are JSON under
 * `prefix` + key; an unreadable entry counts as none.
 *
 * @example
 * await uploadFile(client, input.files[0], { resume: "auto", resumeStore: createLocalStorageResumeStore() })
 */
export function createLocalStorageResumeStore(
  storage: KeyValueStorage = globalThis.localStorage,
  options: { prefix?: string } = {},
): UploadResumeStore {
  const prefix = options.prefix ?? "async-jobs:upload:";
  return {
    get(key) {
      const text = storage.getItem(prefix + key);
      if (text === null) return undefined;
      try {
        return JSON.parse(text) as UploadHandleState;
      } catch {
        return undefined;
      }
    },
    set: (key, state) => storage.setItem(prefix + key, JSON.stringify(state)),
    delete: (key) => storage.removeItem(prefix + key),
  };
}

let processStore: UploadResumeStore | undefined;

/**
 * The store `resume: "auto"` uses when none is given: `localStorage` where the runtime has a
 * working one (browsers), else one memory store for the whole process. The Node entry
 * (`async-jobs/uploads/node`) defaults to a JSON file instead.
 *
 * @example
 * const store = defaultResumeStore()
 */
export function defaultResumeStore(): UploadResumeStore {
  try {
    // Node 22+ may define localStorage without a backing file; using it then throws.
    const storage = globalThis.localStorage;
    if (storage && typeof storage.getItem === "function") {
      storage.getItem("async-jobs:probe");
      return createLocalStorageResumeStore(storage);
    }
  } catch {
    // no usable localStorage: fall through
  }
  return (processStore ??= createMemoryResumeStore());
}
