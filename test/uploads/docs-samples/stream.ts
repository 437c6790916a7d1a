// Compile-checked sample for docs/uploads.md (a ReadableStream of known size).
import { createClient } from "async-jobs";
import { uploadFile } from "async-jobs/uploads";

declare const token: string;
const client = createClient({ baseUrl: "https://jobs.example.com", token });

// #region doc
// Re-upload a file fetched from elsewhere without holding it in memory: the stream is cut
// into parts as it flows, at most `concurrency` parts are buffered.
const source = await fetch("https://files.example.com/dataset.parquet");
const upload = await uploadFile(client, source.body!, {
  size: Number(source.headers.get("content-length")), // the server plans parts before the first byte
  filename: "dataset.parquet",
  contentType: "application/vnd.apache.parquet",
  checksum: true,
});
// #endregion
console.log(upload.id);
