import { createClient, type BuiltInJobTypes } from "async-jobs";

// Your server's own job types: input and result per type name.
type MyJobTypes = BuiltInJobTypes & {
  "report.render": { input: { report_id: string; pages: number }; result: { url: string; pages: number } };
};

const client = createClient<MyJobTypes>({ baseUrl: "https://jobs.example.com", token: "…" });

const job = await client.jobs.submitAndWait({ type: "report.render", input: { report_id: "q3", pages: 40 } });
console.log(job.result.url); // string

// @ts-expect-error: `pages` must be a number
await client.jobs.submit({ type: "report.render", input: { report_id: "q3", pages: "40" } });
