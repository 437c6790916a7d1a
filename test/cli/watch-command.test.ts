import type { Job } from "async-jobs/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from "../helpers/fault-proxy.ts";
import { startReferenceServer, type ReferenceServerProcess } from "./reference-server-process.ts";
import { runCliProcess } from "./run-cli-process.ts";

// `async-jobs watch` and the stream behind `submit --wait`, as real child processes against a
// real server; a pass-through proxy in front records which requests they make.
let server: ReferenceServerProcess;
let proxy: FaultProxy;
let seen: ProxiedRequest[] = [];
let env: Record<string, string>;
beforeAll(async () => {
  server = await startReferenceServer();
  proxy = await startFaultProxy(server.baseUrl, (req) => void seen.push(req));
  env = { ASYNC_JOBS_BASE_URL: proxy.url, ASYNC_JOBS_TOKEN: server.token };
}, 60_000);
afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});
const cli = (args: string[]) => runCliProcess(args, { env });
const submit = async (input: object) => (JSON.parse((await cli(["submit", "--type", "conformance.echo", "--input", JSON.stringify(input), "--json"])).stdout) as Job).id;
const jobReads = (id: string) => seen.filter((r) => r.method === "GET" && r.url === `/v1/jobs/${id}`);

describe("async-jobs watch", () => {
  it("--json prints each change as one Job line, progress in order, ending with the succeeded job (exit 0), over one stream", async () => {
    // Long enough that the CLI (a fresh Node process) attaches before the steps.
    const id = await submit({ value: "w", duration_ms: 8000, progress_steps: 8 });
    const run = await cli(["watch", id, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const jobs = run.stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as Job);
    expect(jobs.at(-1)).toMatchObject({ id, status: "succeeded", result: { value: "w" } });
    const percents = jobs.flatMap((j) => (j.progress ? [j.progress.percent] : []));
    expect(percents.length).toBeGreaterThanOrEqual(2); // the steps came one by one, not only the end
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(new Set(jobs.map((j) => j.updated_at)).size).toBe(jobs.length); // every line is a change
    const reads = jobReads(id);
    expect(reads).toHaveLength(1);
    expect(reads[0]!.headers.accept).toContain("text/event-stream");
  }, 30_000);

  it("prints a line per change for people and exits like wait: 1 failed with the error, 2 canceled, 3 at --timeout", async () => {
    const [failing, long, slow] = await Promise.all([
      submit({ fail: { code: "too_big", message: "no" }, duration_ms: 6000 }),
      submit({ duration_ms: 60_000 }),
      submit({ duration_ms: 60_000 }),
    ]);
    const watching = cli(["watch", long]);
    const [failed, timedOut] = await Promise.all([cli(["watch", failing]), cli(["watch", slow, "--timeout", "1"])]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(new RegExp(`^\\S+  ${failing}  conformance\\.echo  (queued|running)`));
    expect(failed.stdout).toContain(`${failing}  conformance.echo  failed`);
    expect(failed.stdout).toContain("error: too_big: no");
    expect(timedOut.code).toBe(3);
    expect(timedOut.stderr).toContain("timed out after 1 s");
    expect((await cli(["cancel", long])).code).toBe(0);
    const canceled = await watching;
    expect(canceled.code, canceled.stderr).toBe(2);
    expect(canceled.stdout.trimEnd().split("\n").at(-1)).toContain(`${long}  conformance.echo  canceled`);
  }, 30_000);

  it("an unknown job is the server's 404 (exit 1)", async () => {
    const run = await cli(["watch", "job_nope"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("not_found");
  });
});

describe("submit --wait", () => {
  it("waits on the job stream: one read of the job, asking for text/event-stream", async () => {
    seen = [];
    const run = await cli(["submit", "--type", "conformance.echo", "--input", '{"duration_ms":500,"progress_steps":2}', "--wait", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const job = JSON.parse(run.stdout) as Job;
    expect(job.status).toBe("succeeded");
    const reads = jobReads(job.id);
    expect(reads).toHaveLength(1);
    expect(reads[0]!.headers.accept).toContain("text/event-stream");
  }, 30_000);
});
