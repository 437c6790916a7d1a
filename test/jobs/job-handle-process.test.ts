import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type JobHandleState } from "async-jobs";
import { startReferenceServer, type ReferenceServer } from "../helpers/reference-server.ts";

// A durable job handle outlives its process: a Node child is SIGKILLed mid-wait, or after its
// submit left but before the 202 was read, and a new process resumes from the saved state,
// against the real reference server. Afterwards the tenant has exactly one job, and it succeeded.
const root = fileURLToPath(new URL("../../", import.meta.url));
const child = fileURLToPath(new URL("./job-handle-child.ts", import.meta.url));
let server: ReferenceServer;
let dir: string;
beforeAll(async () => {
  server = await startReferenceServer({ tenants: ["wait", "send"] });
  dir = mkdtempSync(join(tmpdir(), "aj-handles-"));
}, 90_000);
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[]): { process: ChildProcess; done: Promise<{ code: number | null; signal: string | null; out: string }> } {
  const proc = spawn(process.execPath, ["--conditions=async-jobs-source", "--import", "tsx", child, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d));
  proc.stderr!.on("data", (d: Buffer) => (out += d));
  return { process: proc, done: new Promise((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal, out }))) };
}

async function until(what: string, check: () => boolean, ms = 30_000) {
  for (const end = Date.now() + ms; !check(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  }
}

const readState = (path: string) => (existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as JobHandleState) : undefined);

async function jobsOf(tenant: string) {
  const client = createClient({ baseUrl: server.url, token: server.tokens[tenant] });
  const jobs = [];
  for await (const job of client.jobs.list()) jobs.push(job);
  return jobs;
}

/** A proxy that forwards everything, except that it never answers the first submit: it reads the server's answer (the job is stored) and holds it. */
async function startHoldingProxy(upstream: string) {
  const target = new URL(upstream);
  let held = false;
  const seen = { committed: false };
  const proxy: Server = createServer((req, res) => {
    const hold = !held && req.method === "POST" && req.url === "/v1/jobs";
    if (hold) held = true;
    const up = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (r) => {
      if (hold) {
        r.resume();
        r.on("end", () => (seen.committed = true)); // stored; the client never hears of it
        return;
      }
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, seen, close: () => (proxy.closeAllConnections(), proxy.close()) };
}

describe("job handles across processes (SIGKILL, then resume in a new process)", () => {
  it("killed mid-wait: the new process waits on the same job; one job in all", async () => {
    const state = join(dir, "wait.json");
    const first = run(["start", server.url, server.tokens.wait!, state, "4000"]);
    await until("the saved job id", () => !!readState(state)?.id);
    first.process.kill("SIGKILL");
    expect((await first.done).signal).toBe("SIGKILL");
    const saved = readState(state)!;
    expect(saved).toMatchObject({ v: 1, baseUrl: server.url, id: expect.stringMatching(/^job_/) });
    expect(saved.request).toBeUndefined();
    const client = createClient({ baseUrl: server.url, token: server.tokens.wait });
    expect((await client.jobs.get(saved.id!)).status).not.toBe("succeeded"); // killed mid-wait indeed

    const second = await run(["resume", server.url, server.tokens.wait!, state]).done;
    expect(second.code, second.out).toBe(0);
    expect(JSON.parse(second.out)).toMatchObject({ id: saved.id, status: "succeeded" });
    const jobs = await jobsOf("wait");
    expect(jobs.map((j) => j.id)).toEqual([saved.id]);
  }, 90_000);

  it("killed after the submit left and before the 202 was read: the resumed process resubmits with the same key; one job in all", async () => {
    const proxy = await startHoldingProxy(server.url);
    try {
      const state = join(dir, "send.json");
      const first = run(["start", proxy.url, server.tokens.send!, state, "500"]);
      await until("the server to store the submit", () => proxy.seen.committed);
      first.process.kill("SIGKILL");
      await first.done;
      const saved = readState(state)!;
      // Saved before the request left: the key and the body, no id.
      expect(saved).toMatchObject({ v: 1, baseUrl: proxy.url, idempotencyKey: expect.any(String), request: { type: "conformance.echo" } });
      expect(saved.id).toBeUndefined();
      expect((await jobsOf("send")).length).toBe(1); // the server did make the job

      const second = await run(["resume", proxy.url, server.tokens.send!, state]).done;
      expect(second.code, second.out).toBe(0);
      const result = JSON.parse(second.out) as { id: string; status: string };
      expect(result.status).toBe("succeeded");
      const jobs = await jobsOf("send");
      expect(jobs.map((j) => j.id)).toEqual([result.id]);
      expect(readState(state)).toMatchObject({ id: result.id });
    } finally {
      proxy.close();
    }
  }, 90_000);
});
