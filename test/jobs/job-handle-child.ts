// A separate Node process for test/jobs/job-handle-process.test.ts: submits and waits through a
// durable handle, saving its state to a file as it goes, or resumes from that file.
//   node --conditions=async-jobs-source --import tsx test/jobs/job-handle-child.ts start|resume BASE_URL TOKEN STATE_FILE [DURATION_MS]
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { createClient, type JobHandleState } from "async-jobs";

const [mode, baseUrl, token, statePath, durationMs = "0"] = process.argv.slice(2) as [string, string, string, string, string?];
const client = createClient({ baseUrl, token });
// Written whole and renamed: a kill never leaves half a state behind.
const onState = (state: JobHandleState) => {
  writeFileSync(`${statePath}.tmp`, JSON.stringify(state));
  renameSync(`${statePath}.tmp`, statePath);
};
const handle =
  mode === "start"
    ? client.jobs.prepare({ type: "conformance.echo", input: { value: mode, duration_ms: Number(durationMs) } }, { onState })
    : client.jobs.resume(JSON.parse(readFileSync(statePath, "utf8")) as JobHandleState, { onState });
const job = await handle.wait({ waitSeconds: 1 });
process.stdout.write(`${JSON.stringify({ id: job.id, status: job.status, result: job.result })}\n`);
