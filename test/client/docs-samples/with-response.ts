import { createClient } from "async-jobs";

const client = createClient();

// Any promise-returning method: the data, and the last HTTP answer the call read.
const { data: job, response } = await client.jobs.get("job_01JD3Z9A7C1E2F3G4H5J6K7M8N").withResponse();
console.log(job.status, response.status, response.headers.get("x-request-id"), response.headers.get("ratelimit"));
