import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signWebhook } from "async-jobs/webhooks";
import type { Job, Upload } from "async-jobs/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReferenceServer, type ReferenceServerProcess } from "./reference-server-process.ts";
import { runCliProcess } from "./run-cli-process.ts";

// The async-jobs CLI as a real child process against a real reference server (port 0, SQLite
// in a temp dir). Each run starts Node and tsx, so runs are batched where they are independent.
let server: ReferenceServerProcess;
let dir: string;
let env: Record<string, string>;
beforeAll(async () => {
  server = await startReferenceServer(["--min-part-size", String(1024 * 1024)]);
  env = { ASYNC_JOBS_BASE_URL: server.baseUrl, ASYNC_JOBS_TOKEN: server.token };
  dir = mkdtempSync(join(tmpdir(), "async-jobs-cli-"));
}, 60_000);
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[], input?: string) => runCliProcess(args, { env, ...(input === undefined ? {} : { input }) });
const parse = <T>(stdout: string) => JSON.parse(stdout) as T;

describe("async-jobs CLI", () => {
  it("submit --wait: exit 0 with the succeeded job; failed exit 1; unknown type exit 1 with the problem", async () => {
    writeFileSync(join(dir, "input.json"), JSON.stringify({ value: "from a file", duration_ms: 200, progress_steps: 2 }));
    const [ok, failed, unknown] = await Promise.all([
      cli(["submit", "--type", "conformance.echo", "--input", `@${join(dir, "input.json")}`, "--wait", "--json"]),
      cli(["submit", "--type", "conformance.echo", "--input", '{"fail":{"code":"too_big","message":"no"}}', "--wait", "--json"]),
      cli(["submit", "--type", "video.transcode", "--input", "{}"]),
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(parse<Job>(ok.stdout)).toMatchObject({ status: "succeeded", result: { value: "from a file" } });
    expect(ok.stderr).not.toContain("█"); // --json draws no bars
    expect(failed.code).toBe(1);
    expect(parse<Job>(failed.stdout)).toMatchObject({ status: "failed", error: { code: "too_big" } });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown_job_type");
  });

  it("submit then wait, get and list; --base-url/--token flags work without env", async () => {
    const submitted = await cli(["submit", "--type", "conformance.echo", "--input", '{"value":1}', "--metadata", "team=cli", "--json"]);
    expect(submitted.code, submitted.stderr).toBe(0);
    const { id } = parse<Job>(submitted.stdout);
    const flags = ["--base-url", server.baseUrl, "--token", server.token];
    const [waited, got, listed, human] = await Promise.all([
      runCliProcess(["wait", id, "--json", ...flags]),
      cli(["get", id, "--json"]),
      cli(["list", "--type", "conformance.echo", "--limit", "2", "--json"]),
      cli(["wait", id]),
    ]);
    expect(waited.code, waited.stderr).toBe(0);
    expect(parse<Job>(waited.stdout)).toMatchObject({ id, status: "succeeded", metadata: { team: "cli" } });
    expect(parse<Job>(got.stdout).id).toBe(id);
    expect(parse<Job[]>(listed.stdout)).toHaveLength(2);
    expect(human.stdout).toContain(`${id}  conformance.echo  succeeded`);
  });

  it("cancel makes wait exit 2; --timeout makes wait exit 3", async () => {
    const { id } = parse<Job>((await cli(["submit", "--type", "conformance.echo", "--input", '{"duration_ms":60000}', "--json"])).stdout);
    const timedOut = await cli(["wait", id, "--timeout", "1", "--json"]);
    expect(timedOut.code).toBe(3);
    expect(parse<{ timed_out: boolean }>(timedOut.stdout).timed_out).toBe(true);
    const canceled = await cli(["cancel", id]);
    expect(canceled.code, canceled.stderr).toBe(0);
    const waited = await cli(["wait", id, "--json"]);
    expect(waited.code).toBe(2);
    expect(parse<Job>(waited.stdout).status).toBe("canceled");
  });

  it("usage errors exit 4: missing --type, unknown option, bad JSON, no server", async () => {
    const runs = await Promise.all([
      cli(["submit"]),
      cli(["get", "job_1", "--bogus"]),
      cli(["submit", "--type", "conformance.echo", "--input", "{nope"]),
      runCliProcess(["get", "job_1"]),
    ]);
    expect(runs.map((r) => r.code)).toEqual([4, 4, 4, 4]);
    expect(runs[0]!.stderr).toContain("--type is required");
    expect(runs[3]!.stderr).toContain("ASYNC_JOBS_BASE_URL");
  });

  it("upload FILE sends parts in parallel; its id feeds file.checksum", async () => {
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 7, 1);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i & 0xff;
    const path = join(dir, "data.bin");
    writeFileSync(path, bytes);
    const uploaded = await cli(["upload", path, "--part-size", String(1024 * 1024), "--checksum", "--json"]);
    expect(uploaded.code, uploaded.stderr).toBe(0);
    const upload = parse<Upload>(uploaded.stdout);
    expect(upload).toMatchObject({ status: "completed", size: bytes.length, part_count: 4 });
    const checksum = await cli(["submit", "--type", "file.checksum", "--input", JSON.stringify({ upload_id: upload.id }), "--wait", "--json"]);
    expect(parse<Job>(checksum.stdout).result).toEqual({ sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length });
  });

  it("verify-webhook reads a raw HTTP request or { headers, body } JSON; a tampered body exits 1", async () => {
    const secret = server.webhookSecret;
    const job = parse<Job>((await cli(["submit", "--type", "conformance.echo", "--input", "{}", "--wait", "--json"])).stdout);
    const body = JSON.stringify({ type: "job.succeeded", timestamp: job.completed_at, data: job });
    const headers = await signWebhook({ id: "evt_cli_1", timestamp: new Date(), body }, secret);
    const raw = `POST /hooks HTTP/1.1\r\nHost: app.test\r\nContent-Type: application/json\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join("\r\n")}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const [http, json, tampered, noSecret] = await Promise.all([
      cli(["verify-webhook", "--secret", secret], raw),
      cli(["verify-webhook", "--secret", secret, "--json"], JSON.stringify({ headers, body })),
      cli(["verify-webhook", "--secret", secret, "--json"], JSON.stringify({ headers, body: body.replace("succeeded", "failed") })),
      cli(["verify-webhook"], raw),
    ]);
    expect(http.code, http.stderr).toBe(0);
    expect(http.stdout).toContain(`valid  job.succeeded  evt_cli_1  ${job.id} succeeded`);
    expect(json.code).toBe(0);
    expect(parse<{ event: { data: { id: string } } }>(json.stdout).event.data.id).toBe(job.id);
    expect(tampered.code).toBe(1);
    expect(parse<{ reason: string }>(tampered.stdout).reason).toBe("no_matching_signature");
    expect(noSecret.code).toBe(4);
  });
});
