// Only what you import is bundled: here the transport, submit and awaitJob.
import { awaitJob, createBaseClient, submit } from "async-jobs/jobs";

const client = createBaseClient({ baseUrl: "https://jobs.example.com", token: "…" });
const { job } = await submit(client, { type: "file.checksum", input: { upload_id: "upl_…" } });
const done = await awaitJob(client, job.id); // a union over the job types, discriminated on `type`
if (done.type === "file.checksum") console.log(done.result.sha256);
