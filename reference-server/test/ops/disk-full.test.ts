import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliProcess, killAllCli, startCli } from "./support/cli-process.ts";

// Deliver 1 of issue 20, embedded store: a full disk (SQLITE_FULL) answers 503 with
// Retry-After instead of 500, keeps every accepted job, and submits work again once space is
// freed, without a restart. A 4 MiB tmpfs is the disk (mounting needs root, as CI runs).

const TOKEN = "ops-disk-token";
let base: string;
let disk: string;
let server: CliProcess;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), "async-jobs-disk-"));
  disk = join(base, "disk");
  mkdirSync(disk);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", disk]);
  server = await startCli(
    ["serve", "--port", "0", "--store", `sqlite:${join(disk, "jobs.db")}`, "--blob-dir", join(base, "blobs"), "--tokens", `${TOKEN}:acme`, "--no-worker"],
    /listening on (\S+)/,
  );
}, 60_000);

afterAll(() => {
  killAllCli();
  try {
    execFileSync("umount", ["-l", disk]);
  } catch {
    // not mounted
  }
  rmSync(base, { recursive: true, force: true });
});

async function submit(value: string) {
  const res = await fetch(`${server.ready}/v1/jobs`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ type: "conformance.echo", input: { value } }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as { id?: string; code?: string } };
}

describe("a full disk under the embedded store", () => {
  it("answers 503 with Retry-After, keeps accepted jobs, and accepts again once space is freed", { timeout: 60_000 }, async () => {
    // Most of the disk taken by something else; the store's growth fills the rest.
    writeFileSync(join(disk, "ballast"), Buffer.alloc(3 * 1024 * 1024));
    const accepted: string[] = [];
    let full: Awaited<ReturnType<typeof submit>> | undefined;
    for (let i = 0; i < 200 && !full; i++) {
      const answer = await submit(`${i}:${"x".repeat(32 * 1024)}`);
      if (answer.status === 202) accepted.push(answer.body.id!);
      else full = answer;
    }
    expect(accepted.length).toBeGreaterThan(0);
    expect(full).toMatchObject({ status: 503, body: { code: "overloaded" } });
    expect(Number(full!.retryAfter)).toBeGreaterThan(0);

    // Every accepted job stays readable while the disk is full.
    for (const id of accepted) {
      const res = await fetch(`${server.ready}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }

    rmSync(join(disk, "ballast"));
    const again = await submit("after the disk was freed");
    expect(again.status).toBe(202);
    expect(server.child.exitCode).toBeNull();
  });
});
