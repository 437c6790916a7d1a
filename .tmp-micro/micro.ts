import { decodeJobRow } from "/work/wt/perf-http/reference-server/src/store/job-row.ts";
import { toJobJson } from "/work/wt/perf-http/reference-server/src/store/job-representation.ts";
import { decodeJobRow as oldDecode } from "./job-row-old.ts";
import { toJob as oldToJob } from "./job-representation-old.ts";
const input = process.argv[2] === "big" ? JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ i, name: `n${i}` })) }) : '{"value":1}';
const row: any = { id: "job_01JD3Z9A7C1E2F3G4H5J6K7M8N", tenant: "bench", type: "conformance.echo", status: "queued", input, metadata: "{}", progress_percent: null, progress_message: null, attempt: 0, max_attempts: 3, result: null, error: null, cancel_requested: 0, webhook_url: null, created_at: 1764000000123, updated_at: 1764000000123, started_at: null, completed_at: null, version: 1, run_at: 1764000000123, lease_token: null, lease_expires_at: null };
function time(name: string, f: () => string) {
  let n = 0; for (let i = 0; i < 20000; i++) n += f().length;
  const t = performance.now(); for (let i = 0; i < 200000; i++) n += f().length;
  console.log(name, ((performance.now() - t) * 1000 / 200000).toFixed(2), "µs");
}
for (let r = 0; r < 2; r++) {
  time("old decode+stringify(toJob)", () => JSON.stringify(oldToJob(oldDecode(row))));
  time("new decode+toJobJson", () => toJobJson(decodeJobRow(row)));
}
