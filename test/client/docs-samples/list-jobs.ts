import { createClient } from "async-jobs";

const client = createClient({ baseUrl: "https://jobs.example.com", token: "…" });

// Every job across all pages, fetched page by page as the loop goes.
for await (const job of client.jobs.list({ status: ["queued", "running"], type: "file.gzip", limit: 100 })) {
  if (job.cancel_requested) continue;
  await client.jobs.cancel(job.id);
}
console.log((await client.jobs.types()).map((t) => t.type));
