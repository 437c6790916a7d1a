import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { verifyWebhook } from "async-jobs/webhooks";
import type { Job, Upload } from "async-jobs/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, startReferenceServer, type ReferenceServerProcess } from "./reference-server-process.ts";
import { runCliProcess } from "./run-cli-process.ts";

// The commands added for first contact (help, version, errors with their exit codes, and
// deliveries, download, uploads, listen), each as a real child process against a real server.
let server: ReferenceServerProcess;
let env: Record<string, string>;
let dir: string;
beforeAll(async () => {
  server = await startReferenceServer(["--min-part-size", String(1024 * 1024)]);
  env = { ASYNC_JOBS_BASE_URL: server.baseUrl, ASYNC_JOBS_TOKEN: server.token };
  dir = mkdtempSync(join(tmpdir(), "async-jobs-cli2-"));
}, 60_000);
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});
const cli = (args: string[]) => runCliProcess(args, { env });

describe("help, version and usage errors", () => {
  it("per-command --help, --version, a short line for an unknown option or command (exit 4)", async () => {
    const [help, version, unknownOption, unknownCommand, missingValue, helpTopic] = await Promise.all([
      runCliProcess(["submit", "--help"]),
      runCliProcess(["--version"]),
      runCliProcess(["get", "job_1", "--bogus"]),
      runCliProcess(["sumbit"]),
      runCliProcess(["submit", "--type"]),
      runCliProcess(["help", "download"]),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: async-jobs submit --type T/);
    expect(help.stdout).toContain("-q, --quiet");
    expect(help.stdout).not.toContain("verify-webhook"); // that command's help, not everything
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
    expect(version.stdout).toBe(`async-jobs ${pkg.version}\n`);
    expect(unknownOption.code).toBe(4);
    expect(unknownOption.stderr).toBe('error: unknown option --bogus for "get"\nusage: async-jobs get JOB_ID\nrun "async-jobs get --help" for more\n');
    expect(unknownCommand.code).toBe(4);
    expect(unknownCommand.stderr.split("\n")[0]).toBe('error: unknown command "sumbit"');
    expect(unknownCommand.stderr.split("\n").length).toBeLessThan(4);
    expect(missingValue.code).toBe(4);
    expect(missingValue.stderr).toContain("--type <value> argument missing");
    expect(helpTopic.stdout).toMatch(/^Usage: async-jobs download JOB_ID \[-o FILE\]/);
  });
});

describe("no server answering: exit 5 with the cause", () => {
  it("wait and get against a closed port or an unknown host fail at once with ECONNREFUSED / ENOTFOUND, never a bare 'fetch failed'", async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const closed = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    await new Promise((r) => probe.close(r));
    const started = Date.now();
    const [wait, get, dns] = await Promise.all([
      runCliProcess(["wait", "job_1", "--base-url", closed, "--timeout", "10"]),
      runCliProcess(["get", "job_1", "--base-url", closed]),
      runCliProcess(["wait", "job_1", "--base-url", "http://no-such-host.invalid", "--timeout", "10"]),
    ]);
    expect(Date.now() - started).toBeLessThan(10_000); // within the timeout, not at it
    for (const run of [wait, get]) {
      expect(run.code).toBe(5);
      expect(run.stderr).toContain(`cannot reach ${closed}: ECONNREFUSED`);
      expect(run.stderr).not.toMatch(/fetch failed/);
    }
    expect(wait.stderr).toContain("async-jobs wait job_1");
    expect(dns.code).toBe(5);
    expect(dns.stderr).toMatch(/cannot reach http:\/\/no-such-host\.invalid: (ENOTFOUND|EAI_AGAIN)/);
  }, 30_000);
});

describe("a server that goes away during a wait", () => {
  it("is retried until --timeout, with a note, then exit 5 with the cause and the command to continue", async () => {
    const own = await startReferenceServer();
    const ownEnv = { ASYNC_JOBS_BASE_URL: own.baseUrl, ASYNC_JOBS_TOKEN: own.token };
    const { id } = JSON.parse((await runCliProcess(["submit", "--type", "conformance.echo", "--input", '{"duration_ms":60000}', "--json"], { env: ownEnv })).stdout) as Job;
    // Stopped once the wait has reached it (its "waiting for" line), so it goes away mid-wait.
    const child = spawn(process.execPath, [join(repoRoot, "bin/async-jobs.js"), "wait", id, "--timeout", "6"], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? "", ...ownEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    const waiting = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on("close", (code) => resolve({ code, stderr })));
    const until = Date.now() + 30_000;
    while (!stderr.includes(`waiting for ${id} (running)`) && !stderr.includes(`waiting for ${id} (queued)`) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(stderr).toMatch(/waiting for job_\w+ \((queued|running)\)/);
    await own.stop();
    const started = Date.now();
    const waited = await waiting;
    expect(waited.code).toBe(5);
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(waited.stderr).toContain("the server stopped answering; retrying until --timeout 6 s");
    expect(waited.stderr).toContain(`cannot reach ${own.baseUrl}: ECONNREFUSED`);
    expect(waited.stderr).toContain(`async-jobs wait ${id}`);
  }, 60_000);
});

describe("job-types", () => {
  it("lists the server's job types, one line each; --json gives their schemas", async () => {
    const text = await cli(["job-types"]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^conformance\.echo +\S/m);
    expect(text.stdout).toMatch(/^file\.gzip +\S/m);
    const json = await cli(["job-types", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const types = JSON.parse(json.stdout) as { type: string; input_schema: object }[];
    expect(types.map((t) => t.type)).toEqual(expect.arrayContaining(["conformance.echo", "file.checksum", "file.gzip"]));
    expect(types.every((t) => typeof t.input_schema === "object")).toBe(true);
  }, 30_000);
});

describe("deliveries, listen, download, uploads", () => {
  it("listen forwards a job's webhook verbatim to the app; deliveries shows it delivered", async () => {
    const received: { headers: Record<string, string>; body: string }[] = [];
    const app: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        received.push({ headers: req.headers as Record<string, string>, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
    const appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/webhooks`;
    const listener = spawn(process.execPath, [join(repoRoot, "bin/async-jobs.js"), "listen", "--forward-to", appUrl], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? "" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let out = "";
    listener.stdout.on("data", (d: Buffer) => (out += d));
    listener.stderr.on("data", (d: Buffer) => (out += d));
    try {
      const hookUrl = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`listen printed no URL:\n${out}`)), 30_000);
        listener.stdout.on("data", () => {
          const m = /listening on (http:\/\/\S+), forwarding/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      const job = JSON.parse((await cli(["submit", "--type", "conformance.echo", "--input", "{}", "--webhook", hookUrl, "--wait", "--json"])).stdout) as Job;
      const until = Date.now() + 15_000;
      while (received.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(received).toHaveLength(1);
      // Verbatim: the signature still verifies over the forwarded headers and body.
      const event = await verifyWebhook(received[0]!, [server.webhookSecret]);
      expect(event).toMatchObject({ type: "job.succeeded", data: { id: job.id } });
      await new Promise((r) => setTimeout(r, 200));
      expect(out).toContain("--allow-private-webhooks"); // the note says what the server needs
      expect(out).toMatch(new RegExp(`POST / \\S+ -> ${appUrl.replace(/[/.]/g, "\\$&")} 204`));
      const deliveries = await cli(["deliveries", job.id, "--json"]);
      expect(deliveries.code, deliveries.stderr).toBe(0);
      expect(JSON.parse(deliveries.stdout)).toEqual([expect.objectContaining({ state: "delivered", status_code: 204, attempt: 1 })]);
      expect((await cli(["deliveries", job.id])).stdout).toMatch(/attempt 1 {2}delivered {2}204/);
    } finally {
      process.kill(-listener.pid!, "SIGKILL");
      app.close();
    }
  }, 60_000);

  it("download -o writes a file.gzip result; uploads get shows an upload, uploads abort ends a pending one, uploads list shows pending ones", async () => {
    const path = join(dir, "text.txt");
    const text = "async jobs\n".repeat(50_000);
    writeFileSync(path, text);
    const upload = JSON.parse((await cli(["upload", path, "--json"])).stdout) as Upload;
    const gzip = JSON.parse((await cli(["submit", "--type", "file.gzip", "--input", JSON.stringify({ upload_id: upload.id }), "--wait", "--json"])).stdout) as Job;
    const out = join(dir, "out.gz");
    const pending = await fetch(`${server.baseUrl}/v1/uploads`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.token}`, "content-type": "application/json" },
      body: JSON.stringify({ filename: "x.bin", content_type: "application/octet-stream", size: 10 }),
    }).then((r) => r.json() as Promise<Upload>);
    const listed = await cli(["uploads", "list", "--json"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { id: string }[]).map((u) => u.id)).toContain(pending.id);
    expect((await cli(["uploads", "list"])).stdout).toMatch(new RegExp(`${pending.id} {2}x\\.bin {2}10 B in 1 part\\(s\\) {2}created `));
    const [download, got, human, aborted, notSucceeded] = await Promise.all([
      cli(["download", gzip.id, "-o", out]),
      cli(["uploads", "get", upload.id, "--json"]),
      cli(["uploads", "get", upload.id]),
      cli(["uploads", "abort", pending.id]),
      cli(["download", upload.id.replace("upl_", "job_")]),
    ]);
    expect(download.code, download.stderr).toBe(0);
    expect(gunzipSync(readFileSync(out)).toString()).toBe(text);
    expect(download.stdout).toMatch(/out\.gz {2}[\d.]+ KiB/);
    expect(JSON.parse(got.stdout)).toMatchObject({ id: upload.id, status: "completed" });
    expect(human.stdout).toContain(`${upload.id}  completed  537.1 KiB in 1 part(s)`);
    expect(aborted.code, aborted.stderr).toBe(0);
    expect(JSON.parse((await cli(["uploads", "get", pending.id, "--json"])).stdout).status).toBe("aborted");
    const afterAbort = JSON.parse((await cli(["uploads", "list", "--json"])).stdout) as { id: string }[];
    expect(afterAbort.map((u) => u.id)).not.toContain(pending.id);
    expect(afterAbort.map((u) => u.id)).not.toContain(upload.id);
    expect(notSucceeded.code).toBe(1); // 404 not_found from the server
  }, 60_000);
});
