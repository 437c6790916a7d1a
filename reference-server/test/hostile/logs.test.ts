import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnUntilReady } from "../../../test/helpers/spawn-until-ready.ts";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
let child: ChildProcess;
let dir: string;
let base = "";
let stdout = "";
let stderr = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aj-logs-"));
  // Its own process group, so that stopping it stops everything it started. stdout and stderr
  // kept apart: the request log must go to stderr only.
  const { ready } = await spawnUntilReady(
    process.execPath,
    ["--conditions=async-jobs-source", "--import", "tsx", "reference-server/src/cli.ts", "serve", "--log", "--port", "0",
      "--store", `sqlite:${join(dir, "jobs.db")}`, "--blob-dir", join(dir, "blobs"), "--tokens", "tok_logs:acme", "--min-part-size", "1024"],
    {
      cwd: REPO,
      detached: true,
      timeoutMs: 30_000,
      onSpawn: (spawned) => {
        child = spawned;
        spawned.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
        spawned.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
      },
    },
  );
  base = ready;
});

afterAll(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    process.kill(-child.pid!, "SIGTERM");
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("request log (hostile review finding 12)", () => {
  it("goes to stderr, JSON lines, with the signatures of part URLs redacted", async () => {
    const auth = { authorization: "Bearer tok_logs", "content-type": "application/json" };
    const created = await fetch(`${base}/v1/uploads`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ filename: "a.bin", content_type: "application/octet-stream", size: 10 }),
    });
    expect(created.status).toBe(201);
    const upload = (await created.json()) as { parts: { url: string }[] };
    const partUrl = upload.parts[0]!.url;
    const signature = new URL(partUrl).searchParams.get("signature")!;
    expect(signature.length).toBeGreaterThan(10);
    const put = await fetch(partUrl, { method: "PUT", body: new Uint8Array(10), headers: { "content-type": "application/octet-stream" } });
    expect(put.status).toBe(200);

    const path = new URL(partUrl).pathname;
    const logged = () => stderr.split("\n").filter((line) => line.startsWith("{") && line.includes(path));
    const deadline = Date.now() + 5_000;
    while (logged().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    const lines = logged().map((line) => JSON.parse(line));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.some((l) => l.req?.url?.includes("signature=REDACTED"))).toBe(true);
    expect(stderr).not.toContain(signature);
    expect(stdout).not.toContain(signature);
    // stdout carries the CLI's own lines only, never the request log.
    expect(stdout.split("\n").filter((line) => line.startsWith("{"))).toEqual([]);
  });
});
