import type { Upload } from "../types.ts";

/**
 * What an upload handle serializes to: enough to continue the upload in another process
 * (`client.uploads.resume(state, source)`). The parts are those stored when it was taken; a
 * resume asks the server which parts it has (spec §4.4), so an older state loses nothing.
 *
 * @example
 * const state: UploadHandleState = JSON.parse(readFileSync("upload.json", "utf8"))
 */
export interface UploadHandleState {
  /** Format version of this object. */
  v: 1;
  /** The client's `baseUrl`: an upload id means nothing on another server. */
  baseUrl: string;
  uploadId: string;
  /** The source's fingerprint (see `UploadFileOptions.fingerprint`), when one was taken. */
  fingerprint: string | null;
  size: number;
  partSize: number;
  /** Parts stored so far, with the ETags their PUTs answered. */
  parts: { number: number; etag: string }[];
}

/**
 * A live upload: `JSON.stringify(handle)` is its state at that moment.
 *
 * @example
 * await uploadFile(client, file, { onUploadCreated: (_upload, handle) => (saved = handle) })
 * process.on("SIGINT", () => writeFileSync("upload.json", JSON.stringify(saved)))
 */
export interface UploadHandle {
  readonly uploadId: string;
  toJSON(): UploadHandleState;
}

/**
 * The handle of one upload; `partStored` keeps its parts current as they go up.
 *
 * @example
 * const handle = createUploadHandle({ baseUrl, upload, fingerprint: null, etags })
 */
export function createUploadHandle(init: {
  baseUrl: string;
  upload: Pick<Upload, "id" | "size" | "part_size">;
  fingerprint: string | null;
  /** The stored parts' ETags by number, shared with the upload that fills it. */
  etags: ReadonlyMap<number, string>;
}): UploadHandle {
  const { baseUrl, upload, fingerprint, etags } = init;
  return {
    uploadId: upload.id,
    toJSON: () => ({
      v: 1,
      baseUrl,
      uploadId: upload.id,
      fingerprint,
      size: upload.size,
      partSize: upload.part_size,
      parts: [...etags].sort(([a], [b]) => a - b).map(([number, etag]) => ({ number, etag })),
    }),
  };
}

/**
 * Checks that `value` (an object or its JSON) is an upload handle's state, and returns it typed.
 * Throws a `TypeError` naming what is wrong.
 *
 * @example
 * const state = parseUploadHandleState(localStorage.getItem("upload"))
 */
export function parseUploadHandleState(value: unknown): UploadHandleState {
  const state = (typeof value === "string" ? JSON.parse(value) : value) as Partial<UploadHandleState> | null;
  const wrong = (what: string): never => {
    throw new TypeError(`Not an upload handle's state: ${what}`);
  };
  if (typeof state !== "object" || state === null) return wrong("not an object");
  if (state.v !== 1) wrong(`unknown version ${JSON.stringify(state.v)}`);
  if (typeof state.baseUrl !== "string" || typeof state.uploadId !== "string" || state.uploadId === "") wrong("baseUrl and uploadId must be strings");
  if (state.fingerprint !== null && typeof state.fingerprint !== "string") wrong("fingerprint must be a string or null");
  if (!Number.isSafeInteger(state.size) || !Number.isSafeInteger(state.partSize)) wrong("size and partSize must be integers");
  if (!Array.isArray(state.parts) || !state.parts.every((p) => Number.isInteger(p?.number) && typeof p?.etag === "string")) {
    wrong("parts must be [{ number, etag }]");
  }
  return state as UploadHandleState;
}
