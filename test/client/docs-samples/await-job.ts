import { createClient } from "async-jobs";

const client = createClient({ baseUrl: "https://jobs.example.com", token: "…" });
const { job } = await client.jobs.submit({ type: "conformance.echo", input: { duration_ms: 600_000 } });
saveSomewhere(job.id);

const controller = new AbortController(); // e.g. the user closed the page
const done = await client.jobs.wait(job.id, {
  signal: controller.signal, // stops within milliseconds, cancelling the in-flight request
  cancelOnAbort: true, // …and cancels the job on the server too. Default false.
  deadlineMs: 30 * 60_000, // TimeoutError (with lastJob) after 30 minutes. Default: none.
  onProgress: (j) => console.log(j.progress?.percent), // once per observed change
  waitSeconds: 20, // Prefer: wait=20 long polls where honoured; 0 never long polls. Default 20.
  poll: { initialMs: 1_000, factor: 1.1, maxMs: 30_000 }, // plain polling: decorrelated jitter (the defaults)
});
console.log(done.status); // "succeeded"

// After a restart: nothing is kept in memory, so waiting again is just…
await client.jobs.wait(loadSomewhere());

declare function saveSomewhere(id: string): void;
declare function loadSomewhere(): string;
