// Compile-checked sample for docs/uploads.md (Node: a file path, then a job on it).
import { createClient } from "async-jobs";
import { uploadFile } from "async-jobs/uploads/node";

// #region doc
const client = createClient({ baseUrl: "http://127.0.0.1:8080", token: process.env.ASYNC_JOBS_TOKEN });

// Parts are read from disk at their offsets and streamed with node:http: memory stays flat
// (about concurrency × part size) whatever the file size.
const upload = await uploadFile(client, "./export.csv", {
  concurrency: 8,
  checksum: true, // SHA-256 as the bytes flow (node:crypto), verified by the server at complete
  onProgress: ({ loadedBytes, totalBytes, partsDone, partCount }) =>
    console.log(`${((100 * loadedBytes) / totalBytes).toFixed(1)}% (${partsDone}/${partCount} parts)`),
});

const job = await client.jobs.submitAndWait({ type: "file.checksum", input: { upload_id: upload.id } });
console.log(job.result.sha256 === upload.sha256); // true
// #endregion
