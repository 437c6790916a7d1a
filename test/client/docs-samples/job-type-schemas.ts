import { z } from "zod";
import { createClient, isResultValidationError } from "async-jobs";

// One module of schemas can serve both sides: the server's defineJobType({ type, ...reportRender, run })
// and the client below. Any Standard Schema works (zod 3.24+/4, Valibot, ArkType).
const reportRender = {
  input: z.object({ report_id: z.string(), pages: z.number().int().positive() }),
  result: z.object({ url: z.url(), pages: z.number() }),
};

const client = createClient({ baseUrl: "https://jobs.example.com", token: "…", jobTypes: { "report.render": reportRender } });

try {
  const job = await client.jobs.submitAndWait({ type: "report.render", input: { report_id: "q3", pages: 40 } });
  console.log(job.result.url); // string, checked at runtime by the schema
} catch (error) {
  // The server's result broke the schema (or the input did, before anything was sent).
  if (isResultValidationError(error)) console.error(error.jobId, error.issues); // [{ path: "/result/url", message: "Invalid URL" }]
  else throw error;
}
