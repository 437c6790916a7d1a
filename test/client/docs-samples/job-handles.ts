import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { createClient, type JobHandleState } from "async-jobs";

const client = createClient({ baseUrl: "https://jobs.example.com", token: "…" });
const save = (state: JobHandleState) => {
  writeFileSync("report.job.tmp", JSON.stringify(state));
  renameSync("report.job.tmp", "report.job"); // whole or not at all
};

// Nothing is sent yet: the handle has its idempotency key, and `onState` saves it (with the
// request) BEFORE the submit leaves, then again with the job id, the ETag, the next poll time.
const handle = client.jobs.prepare({ type: "conformance.echo", input: { duration_ms: 60_000 } }, { onState: save });
const job = await handle.wait();
console.log(job.id, JSON.stringify(handle.toJSON())); // {"v":1,"baseUrl":…,"idempotencyKey":…,"id":"job_…",…}

// In another process, after a crash at any point (even between the submit and its 202):
const resumed = client.jobs.resume(JSON.parse(readFileSync("report.job", "utf8")) as JobHandleState, { onState: save });
await resumed.wait(); // re-sends the submit with the same key if no id was saved: still one job
