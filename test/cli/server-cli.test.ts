import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "./reference-server-process.ts";

// `async-jobs-server` as an operator meets it: through its bin, in a fresh directory.
const bin = join(repoRoot, "reference-server/bin/async-jobs-server.js");
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function start(args: string[], cwd: string) {
  const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" } });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d));
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
  const waitFor = async (pattern: RegExp, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = stdout.match(pattern);
      if (m) return m;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${pattern}:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, exited, waitFor, stdout: () => stdout, stderr: () => stderr };
}

function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), "aj-server-cli-"));
  dirs.push(dir);
  return dir;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

describe("async-jobs-server CLI", () => {
  it("no command prints the usage and exits 2; a bad option is one line and exit 2", async () => {
    const dir = tempDir();
    const none = start([], dir);
    const bad = start(["serve", "--prot", "1"], dir);
    expect(await none.exited).toBe(2);
    expect(none.stderr()).toMatch(/^error: missing command\n\nUsage: async-jobs-server <serve\|worker\|migrate\|webhook-secret TENANT>/);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr().trim().split("\n")).toHaveLength(2);
  }, 60_000);

  it("a port in use and an unreachable Postgres are one friendly line each, exit 1", async () => {
    const dir = tempDir();
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
    const port = (busy.address() as AddressInfo).port;
    try {
      const pgPort = await freePort();
      const [inUse, postgres] = [start(["serve", "--port", String(port)], dir), start(["serve", "--port", "0", "--store", `postgres://app:s3cret@127.0.0.1:${pgPort}/jobs`], dir)];
      expect(await inUse.exited).toBe(1);
      expect(inUse.stderr()).toBe(`error: port ${port} on 127.0.0.1 is in use (another server?): stop it, pick another --port, or --port 0 for a free one\n`);
      expect(await postgres.exited).toBe(1);
      expect(postgres.stderr()).toBe(`error: cannot reach Postgres at postgres://app:***@127.0.0.1:${pgPort}/jobs (ECONNREFUSED): is it running, and is --store right?\n`);
    } finally {
      busy.close();
    }
  }, 60_000);

  it("the generated dev token and webhook secret survive a restart (kept in the data dir, owner-only)", async () => {
    const dir = tempDir();
    const first = start(["serve", "--port", "0"], dir);
    const [, url] = await first.waitFor(/listening on (\S+)/);
    const [, token] = await first.waitFor(/dev token: (\S+)/);
    const [, secret] = await first.waitFor(/webhook secret of tenant "dev": (\S+)/);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(statSync(join(dir, "data/dev-credentials.json")).mode & 0o777).toBe(0o600);
    const second = start(["serve", "--port", "0"], dir);
    const [, url2] = await second.waitFor(/listening on (\S+)/);
    expect((await second.waitFor(/dev token: (\S+)/))[1]).toBe(token);
    expect((await second.waitFor(/webhook secret of tenant "dev": (\S+)/))[1]).toBe(secret);
    const res = await fetch(`${url2}/v1/jobs`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    second.child.kill("SIGTERM");
    await second.exited;
  }, 90_000);

  it("Ctrl-C drains; a second Ctrl-C exits at once with 130", async () => {
    const dir = tempDir();
    const server = start(["serve", "--port", "0", "--drain-grace-ms", "60000"], dir);
    const [, url] = await server.waitFor(/listening on (\S+)/);
    const [, token] = await server.waitFor(/dev token: (\S+)/);
    // A running job keeps the drain busy for up to the grace (60 s).
    const submitted = await fetch(`${url}/v1/jobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "conformance.echo", input: { duration_ms: 60_000 } }),
    });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    for (let i = 0; i < 100; i++) {
      const job = (await (await fetch(`${url}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { status: string };
      if (job.status === "running") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    server.child.kill("SIGINT");
    await server.waitFor(/SIGINT: draining \(Ctrl-C again to force\)/);
    const started = Date.now();
    server.child.kill("SIGINT");
    expect(await server.exited).toBe(130);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(server.stderr()).toContain("exiting without waiting for the drain");
  }, 90_000);
});
