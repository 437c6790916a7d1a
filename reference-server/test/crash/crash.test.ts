import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { spawnUntilReady } from "../../../test/helpers/spawn-until-ready.ts";
import { TOKEN, apiRequest, eventually } from "../support/test-server.ts";

// Real processes, real kill -9 (spec §2 "No acknowledged job is ever lost").

const CLI = resolve(import.meta.dirname, "../../src/cli.ts");
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), "async-jobs-crash-"));
  dirs.push(dir);
  return dir;
}

/** Starts the CLI; resolves once it prints `ready` (e.g. "listening on …"). */
function start(args: string[], ready: RegExp) {
  return spawnUntilReady(process.execPath, ["--conditions=async-jobs-source", "--import", "tsx", CLI, ...args], {
    ready,
    onSpawn: (spawned) => children.push(spawned),
  });
}

const common = (dir: string) => ["--store", `sqlite:${join(dir, "jobs.db")}`, "--blob-dir", join(dir, "blobs"), "--tokens", `${TOKEN}:acme`, "--allow-private-webhooks"];

async function serve(dir: string, extra: string[] = []) {
  const { child, ready: url } = await start(["serve", "--port", "0", ...common(dir), ...extra], /^listening on (http:\/\/\S+)/m);
  return { child, url };
}

function kill9(child: ChildProcess) {
  return new Promise<void>((r) => {
    child.once("exit", () => r());
    child.kill("SIGKILL");
  });
}

describe("crashes (real processes)", () => {
  it("keeps every acknowledged job through a kill -9 during a burst of submits", { timeout: 90_000 }, async () => {
    const dir = tempDir();
    const first = await serve(dir, ["--no-worker"]);
    const acknowledged: string[] = [];
    let stop = false;
    const submitters = Array.from({ length: 16 }, async () => {
      while (!stop) {
        try {
          const res = await fetch(`${first.url}/v1/jobs`, {
            method: "POST",
            headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
            body: JSON.stringify({ type: "conformance.echo", input: { value: acknowledged.length } }),
          });
          if (res.status === 202) acknowledged.push(((await res.json()) as { id: string }).id);
        } catch {
          return; // the server is gone
        }
      }
    });
    await eventually(async () => acknowledged.length, (n) => n >= 300, 20_000);
    await kill9(first.child);
    stop = true;
    await Promise.all(submitters);
    const second = await serve(dir, ["--worker-concurrency", "32"]);
    for (const id of acknowledged) {
      const res = await apiRequest(second.url, "GET", `/v1/jobs/${id}`, { headers: { prefer: "wait=10" } });
      expect(res.status, id).toBe(200);
      expect(res.body.status, id).toBe("succeeded");
    }
  });

  it("runs a job again after its worker is killed mid-job, and ends it once", { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const events: string[] = [];
    const receiver: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        events.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    try {
      const api = await serve(dir, ["--no-worker"]);
      const workerArgs = ["worker", ...common(dir), "--lease-timeout-ms", "800"];
      const worker1 = await start(workerArgs, /^worker /m);
      const hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
      const { body: job } = await apiRequest(api.url, "POST", "/v1/jobs", {
        body: { type: "conformance.echo", input: { value: "once", duration_ms: 1500, progress_steps: 3 }, webhook: { url: hook } },
      });
      await eventually(() => apiRequest(api.url, "GET", `/v1/jobs/${job.id}`), (r) => r.body.status === "running" && r.body.progress !== null, 10_000);
      await kill9(worker1.child);
      await start(workerArgs, /^worker /m);
      const done = await eventually(() => apiRequest(api.url, "GET", `/v1/jobs/${job.id}`, { headers: { prefer: "wait=5" } }), (r) => r.body.status === "succeeded", 20_000);
      expect(done.body).toMatchObject({ attempt: 2, result: { value: "once" } });
      await eventually(async () => events.length, (n) => n >= 1);
      await new Promise((r) => setTimeout(r, 500));
      expect(events.map((e) => JSON.parse(e).type)).toEqual(["job.succeeded"]);
    } finally {
      receiver.close();
    }
  });

  it("delivers every event to a receiver that was down for a while, with the same webhook-id", { timeout: 60_000 }, async () => {
    const dir = tempDir();
    // Reserve a port, then leave it closed while the receiver is "down".
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const api = await serve(dir, ["--webhook-schedule-ms", "0,100,200,300,400,500,600,700,800,900"]);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await apiRequest(api.url, "POST", "/v1/jobs", { body: { type: "conformance.echo", input: { value: i }, webhook: { url: `http://127.0.0.1:${port}/hook` } } });
      ids.push(res.body.id);
    }
    // Every event fails at least twice while the receiver is down.
    for (const id of ids) {
      await eventually(() => apiRequest(api.url, "GET", `/v1/jobs/${id}/deliveries`), (r) => r.body.data.length >= 2, 10_000);
    }
    const got: { id: string; job: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        got.push({ id: String(req.headers["webhook-id"]), job: JSON.parse(body).data.id });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(port, "127.0.0.1", r));
    try {
      await eventually(async () => new Set(got.map((g) => g.job)).size, (n) => n === 5, 15_000);
      expect(new Set(got.map((g) => g.job))).toEqual(new Set(ids));
      for (const id of ids) {
        // The receiver has the request before the server has its 200 and records the attempt.
        const { body } = await eventually(
          () => apiRequest(api.url, "GET", `/v1/jobs/${id}/deliveries`),
          (r) => r.body.data.at(-1)?.state !== "pending",
          5_000,
        );
        const eventIds = new Set(body.data.map((d: { event_id: string }) => d.event_id));
        expect(eventIds.size).toBe(1);
        expect(body.data.at(-1)).toMatchObject({ state: "delivered", status_code: 200 });
        expect(body.data[0]).toMatchObject({ status_code: null, state: "pending" });
        expect(got.find((g) => g.job === id)!.id).toBe([...eventIds][0]);
      }
    } finally {
      receiver.close();
    }
  });
});
