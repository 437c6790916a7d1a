import { createClient } from "async-jobs";

// Reads ASYNC_JOBS_BASE_URL and ASYNC_JOBS_TOKEN (or pass { baseUrl, token }).
const client = createClient();

// Submits (idempotently) and waits; a fast job comes back in one round trip.
const job = await client.jobs.submitAndWait(
  { type: "conformance.echo", input: { value: "hello", duration_ms: 2000, progress_steps: 4 } },
  { onProgress: (j) => console.log(j.status, j.progress?.percent) },
);
console.log(job.result.value); // "hello": typed from openapi.yaml
