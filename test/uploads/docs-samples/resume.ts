// Compile-checked sample for docs/uploads.md (Node: resume after a crash).
import { readFile, writeFile } from "node:fs/promises";
import { createClient } from "async-jobs";
import { parseUploadHandleState, type UploadHandle } from "async-jobs/uploads";
import { uploadFile } from "async-jobs/uploads/node";

const client = createClient({ baseUrl: "http://127.0.0.1:8080", token: process.env.ASYNC_JOBS_TOKEN });

// #region doc
// Found again by the file's path, size and mtime (a JSON file under ~/.cache/async-jobs).
const upload = await uploadFile(client, "./backup.tar", { resume: "auto" });

// Or keep the handle yourself: JSON.stringify(handle) is its state, at any time.
let handle: UploadHandle | undefined;
process.on("SIGINT", () => void writeFile("upload.json", JSON.stringify(handle)));
const saved = await readFile("upload.json", "utf8").catch(() => undefined);
const again = await uploadFile(client, "./video.mp4", {
  resume: saved ? parseUploadHandleState(saved) : undefined, // only the missing parts are sent
  onHandle: (h) => (handle = h),
});
// #endregion
console.log(upload.id, again.id);
