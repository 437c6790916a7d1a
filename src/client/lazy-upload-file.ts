import type { uploadFile as eagerUploadFile } from "../uploads/upload-file.ts";

/**
 * `uploadFile` as the `async-jobs` entry (and `client.uploads`) offers it: the upload code
 * (part planning, the part transports, progress; about 4 KB min+gzip) loads on the first
 * upload, so an app that only submits and waits does not carry it (decision 0012). Import
 * `uploadFile` from `async-jobs/uploads` to load it up front.
 *
 * @example
 * const upload = await uploadFile(client, file, { onProgress: (p) => bar.set(p.fraction) })
 */
export const uploadFile = ((...args: [never, never, never]) =>
  import("../uploads/upload-file.ts").then((uploads) => uploads.uploadFile(...args))) as typeof eagerUploadFile;
