// Compile-checked sample for docs/uploads.md (Node: resume after a crash).
import { readFile, rm, writeFile } from "node:fs/promises";
import { createClient } from "async-jobs";
import { uploadFile } from "async-jobs/uploads/node";

const client = createClient({ baseUrl: "http://127.0.0.1:8080", token: process.env.ASYNC_JOBS_TOKEN });

// #region doc
const path = "./backup.tar";
const state = `${path}.upload-id`;
const resume = await readFile(state, "utf8").catch(() => undefined);

const upload = await uploadFile(client, path, {
  resume, // undefined: a new upload; an id: only the parts not stored yet are sent
  onUploadCreated: (u) => void writeFile(state, u.id),
});
await rm(state, { force: true });
// #endregion
console.log(upload.id);
