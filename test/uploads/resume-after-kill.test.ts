import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Upload } from "async-jobs/types";
import { type ReferenceServer, startReferenceServer } from "../helpers/reference-server.ts";
import { startUploadFaultProxy } from "../helpers/upload-fault-proxy.ts";

// Acceptance of issue 16 (uploads that find themselves again): a real process uploading a
// file is SIGKILLed mid-upload; a new process with resume: "auto" finds the upload through the
// JSON-file resume store, sends only the parts the server does not have (counted by a loopback
// proxy in front of the real reference server) and completes with the right checksum.
const root = fileURLToPath(new URL("../../", import.meta.url));
const child = fileURLToPath(new URL("./fixtures/resume-upload-child.ts", import.meta.url));
const PART = 64 * 1024;

let server: ReferenceServer;
let proxy: Awaited<ReturnType<typeof startUploadFaultProxy>>;
let dir: string;
beforeAll(async () => {
  server = await startReferenceServer();
  proxy = await startUploadFaultProxy(server.url);
  dir = mkdtempSync(join(tmpdir(), "resume-kill-"));
}, 60_000);
afterAll(async () => {
  await proxy?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  process: ChildProcess;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

function startChild(file: string, statePath: string, mode: "auto" | "handle"): Run {
  const args = ["--conditions=async-jobs-source", "--import", "tsx", child, proxy.url, server.tokens.a!, file, statePath, String(PART), mode];
  const proc = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  const lines: Record<string, unknown>[] = [];
  let buffered = "";
  let errors = "";
  proc.stdout!.on("data", (d: Buffer) => {
    buffered += d;
    for (let at = buffered.indexOf("\n"); at >= 0; at = buffered.indexOf("\n")) {
      lines.push(JSON.parse(buffered.slice(0, at)) as Record<string, unknown>);
      buffered = buffered.slice(at + 1);
    }
  });
  proc.stderr!.on("data", (d: Buffer) => (errors += d));
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  exited.then((code) => code !== 0 && code !== null && console.error(errors));
  return { process: proc, lines, exited };
}

async function getUpload(id: string): Promise<Upload> {
  const res = await fetch(`${server.url}/v1/uploads/${id}`, { headers: { authorization: `Bearer ${server.tokens.a}` } });
  return (await res.json()) as Upload;
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs the child until three parts are stored, SIGKILLs it; resolves with the upload's id and its missing parts. */
async function killMidUpload(file: string, statePath: string, mode: "auto" | "handle") {
  // Slow parts on the first run, so that the kill lands between parts stored and parts not yet.
  proxy.setFaults(() => ({ kind: "delay", ms: 250 }));
  const first = startChild(file, statePath, mode);
  const handle = (await until("the upload's handle", () => first.lines.find((l) => l.handle)))!.handle as { uploadId: string };
  const id = handle.uploadId;
  await until("three stored parts", async () => ((await getUpload(id)).parts.filter((p) => p.etag).length >= 3 ? true : undefined));
  first.process.kill("SIGKILL");
  expect(await first.exited).toBeNull(); // killed, not finished
  await new Promise((r) => setTimeout(r, 300)); // the cut-off part's bytes settle in the proxy's count
  const before = await getUpload(id);
  expect(before.status).toBe("pending");
  const missing = before.parts.filter((p) => !p.etag);
  expect(missing.length).toBeGreaterThan(0);
  expect(missing.length).toBeLessThan(before.part_count);
  proxy.setFaults(() => undefined);
  return { id, missing };
}

/** Runs the child again to the end; resolves with the completed upload and the part bytes it sent. */
async function finish(file: string, statePath: string, mode: "auto" | "handle", id: string) {
  const forwardedBefore = proxy.stats.forwardedPartBytes.get(id) ?? 0;
  const second = startChild(file, statePath, mode);
  expect(await second.exited).toBe(0);
  const completed = second.lines.find((l) => l.completed)!.completed as Upload;
  return { completed, sentAgain: (proxy.stats.forwardedPartBytes.get(id) ?? 0) - forwardedBefore };
}

it('a process killed mid-upload is finished by a new one with resume: "auto", sending only the missing parts', async () => {
  const bytes = randomBytes(10 * PART + 123); // 11 parts
  const file = join(dir, "export.bin");
  writeFileSync(file, bytes);
  const storePath = join(dir, "resume-store.json");
  const { id, missing } = await killMidUpload(file, storePath, "auto");
  const store = JSON.parse(readFileSync(storePath, "utf8")) as Record<string, { uploadId: string }>;
  expect(Object.values(store).map((s) => s.uploadId)).toEqual([id]);

  const { completed, sentAgain } = await finish(file, storePath, "auto", id);
  expect(completed.id).toBe(id); // the same upload, found through the store: none created
  expect(completed.status).toBe("completed");
  expect(completed.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
  expect(sentAgain).toBe(missing.reduce((sum, p) => sum + p.size, 0));
  // Completion removes the entry.
  expect(existsSync(storePath)).toBe(true);
  expect(JSON.parse(readFileSync(storePath, "utf8"))).toEqual({});
}, 90_000);

it("a process killed mid-upload is finished by a new one from the upload handle's saved state", async () => {
  const bytes = randomBytes(7 * PART + 5); // 8 parts
  const file = join(dir, "backup.bin");
  writeFileSync(file, bytes);
  const statePath = join(dir, "upload-handle.json");
  const { id, missing } = await killMidUpload(file, statePath, "handle");
  const saved = JSON.parse(readFileSync(statePath, "utf8")) as { uploadId: string; baseUrl: string; fingerprint: string; parts: unknown[] };
  expect(saved).toMatchObject({ uploadId: id, baseUrl: proxy.url, partSize: PART, size: bytes.byteLength });
  expect(saved.fingerprint).toContain("backup.bin");
  expect(saved.parts.length).toBeGreaterThanOrEqual(1);

  const { completed, sentAgain } = await finish(file, statePath, "handle", id);
  expect(completed).toMatchObject({ id, status: "completed", sha256: createHash("sha256").update(bytes).digest("hex") });
  expect(sentAgain).toBe(missing.reduce((sum, p) => sum + p.size, 0));
}, 90_000);
