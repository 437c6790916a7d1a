import { createClient } from "async-jobs";

const client = createClient({ baseUrl: "http://127.0.0.1:8080", token: process.env.JOBS_TOKEN });

// Submits (idempotently) and waits; a fast job comes back in one round trip.
const job = await client.jobs.submitAndWait(
  { type: "conformance.echo", input: { value: "hello", duration_ms: 2000, progress_steps: 4 } },
  { onProgress: (j) => console.log(j.status, j.progress?.percent) },
);
console.log(job.result.value); // "hello": typed from openapi.yaml
