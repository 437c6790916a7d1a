import { createClient, isApiError, isJobCanceledError, isJobFailedError, isNetworkError, isTimeoutError } from "async-jobs";

const client = createClient({ baseUrl: "https://jobs.example.com", token: "…" });

try {
  await client.jobs.submitAndWait({ type: "conformance.echo", input: { duration_ms: 5000 } }, { deadlineMs: 60_000 });
} catch (e) {
  if (isJobFailedError(e)) console.error("job failed:", e.problem.code, e.problem.detail);
  else if (isJobCanceledError(e)) console.info("canceled:", e.job.id);
  else if (isTimeoutError(e)) console.warn("still running, resume later:", e.lastJob?.id);
  else if (isApiError(e, "invalid_input")) console.error(e.problem.errors); // [{ path, message }]
  else if (isApiError(e)) console.error(e.status, e.code, "quote this:", e.requestId);
  else if (isNetworkError(e)) console.error("no answer:", e.cause);
  else throw e;
}
