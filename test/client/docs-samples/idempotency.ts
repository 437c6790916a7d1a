import { createClient } from "async-jobs";

const client = createClient({ baseUrl: "https://jobs.example.com", token: "…" });

// Your own key makes the submit idempotent across processes and restarts (e.g. a hash of the
// file and parameters). Default: a random UUID per call, reused on that call's retries.
const { job, replayed, idempotencyKey } = await client.jobs.submit(
  { type: "file.gzip", input: { upload_id: "upl_…" } },
  { idempotencyKey: "gzip:upl_…:v1" },
);
if (replayed) console.info(`already submitted as ${job.id} (key ${idempotencyKey})`);
