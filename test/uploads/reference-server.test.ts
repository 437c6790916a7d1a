import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type AsyncJobsClient } from "async-jobs";
import { uploadFile, type UploadProgress } from "async-jobs/uploads";
import { uploadFile as uploadFromNode } from "async-jobs/uploads/node";
import { startReferenceServer, type ReferenceServer } from "../helpers/reference-server.ts";
import { startUploadFaultProxy, type PartFault } from "../helpers/upload-fault-proxy.ts";

// uploadFile against the real reference server on loopback (spec §4): every size, both
// entries and transports, a proxy that breaks part PUTs, and a process killed mid-upload.
// Each upload is checked by a `file.checksum` job run by the server's worker.
const root = fileURLToPath(new URL("../../", import.meta.url));
const partSize = 1024;
let server: ReferenceServer;
let client: AsyncJobsClient;
let dir: string;

beforeAll(async () => {
  server = await startReferenceServer();
  client = createClient({ baseUrl: server.url, token: server.tokens.a!, retry: { initialDelayMs: 5, maxDelayMs: 50 } });
  dir = mkdtempSync(join(tmpdir(), "aj-uploads-"));
}, 90_000);
afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const clientFor = (baseUrl: string) => createClient({ baseUrl, token: server.tokens.a!, retry: { initialDelayMs: 5, maxDelayMs: 50 } });

/** What the server's own worker computes over the stored bytes. */
async function serverChecksum(uploadId: string) {
  const job = await client.jobs.submitAndWait({ type: "file.checksum", input: { upload_id: uploadId } });
  return job.result;
}

describe("every size, one flow", () => {
  for (const size of [0, 1, partSize, partSize + 1, 150 * partSize + 17]) {
    it(`uploads ${size} B (bytes source, fetch transport) and the server hashes the same bytes`, async () => {
      const data = randomBytes(size);
      const events: UploadProgress[] = [];
      const upload = await uploadFile(client, data, { partSize, checksum: true, onProgress: (p) => events.push(p) });
      expect(upload.status).toBe("completed");
      expect(upload.part_count).toBe(Math.max(1, Math.ceil(size / partSize)));
      expect(upload.sha256).toBe(sha256(data));
      expect(events.at(-1)).toMatchObject({ loadedBytes: size, totalBytes: size, partsDone: upload.part_count });
      expect(await serverChecksum(upload.id)).toEqual({ sha256: sha256(data), size });
    });
  }

  it("uploads a file path through the Node entry (node:http, parts read at offsets), progress monotonic and exact", async () => {
    const data = randomBytes(130 * partSize + 5);
    const path = join(dir, "node-entry.bin");
    writeFileSync(path, data);
    const events: UploadProgress[] = [];
    const upload = await uploadFromNode(client, path, { partSize, checksum: true, concurrency: 8, onProgress: (p) => events.push(p), progressIntervalMs: 0 });
    expect(upload).toMatchObject({ status: "completed", filename: "node-entry.bin", sha256: sha256(data) });
    expect(events.map((e) => e.loadedBytes)).toEqual([...events.map((e) => e.loadedBytes)].sort((a, b) => a - b));
    expect(events.at(-1)!.loadedBytes).toBe(data.byteLength);
    expect(await serverChecksum(upload.id)).toEqual({ sha256: sha256(data), size: data.byteLength });
  });

  it("uploads a ReadableStream cut into parts as it flows", async () => {
    const data = randomBytes(20 * partSize + 3);
    const stream = new Blob([data]).stream();
    const upload = await uploadFile(client, stream, { size: data.byteLength, partSize, checksum: true, concurrency: 3 });
    expect(await serverChecksum(upload.id)).toEqual({ sha256: sha256(data), size: data.byteLength });
  });
});

describe("through a proxy that fails, resets, delays part PUTs and expires their URLs", () => {
  // Every part meets a fault on its first attempt, some on their second too.
  const faults = ({ number, attempt }: { number: number; attempt: number }): PartFault | undefined => {
    if (attempt === 1) {
      return ([
        { kind: "status", status: 503, code: "overloaded" },
        { kind: "reset", afterBytes: 100 },
        { kind: "expire" },
        { kind: "delay", ms: 20 },
        { kind: "status", status: 502 }, // a 500 is final (spec §6.2)
      ] as const)[number % 5];
    }
    if (attempt === 2 && number % 7 === 0) return { kind: "reset", afterBytes: 0 };
    return undefined;
  };

  for (const [name, send] of [
    ["async-jobs/uploads (fetch)", (c: AsyncJobsClient, data: Uint8Array) => uploadFile(c, data, { partSize, checksum: true })],
    [
      "async-jobs/uploads/node (node:http, file path)",
      (c: AsyncJobsClient, data: Uint8Array) => {
        const path = join(dir, `faulty-${data.byteLength}.bin`);
        writeFileSync(path, data);
        return uploadFromNode(c, path, { partSize, checksum: true });
      },
    ],
  ] as const) {
    it(`every upload still completes with the right SHA-256: ${name}`, async () => {
      const proxy = await startUploadFaultProxy(server.url, faults);
      try {
        for (const size of [1, partSize, 40 * partSize + 9]) {
          const data = randomBytes(size);
          const upload = await send(clientFor(proxy.url), data);
          expect(upload.sha256).toBe(sha256(data));
          expect(await serverChecksum(upload.id)).toEqual({ sha256: sha256(data), size });
        }
        expect(proxy.stats.expire).toBeGreaterThan(0);
        expect(proxy.stats.reset).toBeGreaterThan(0);
        expect(proxy.stats.status).toBeGreaterThan(0);
      } finally {
        await proxy.close();
      }
    });
  }
});

describe("URLs that really expire", () => {
  it("a part sent after its URL expired is refused by the server, renewed and sent again", async () => {
    // One-second URLs, and a proxy that holds each part's first PUT past that second.
    const shortLived = await startReferenceServer({ args: ["--part-url-ttl-s", "1"] });
    const proxy = await startUploadFaultProxy(shortLived.url, ({ attempt }) => (attempt === 1 ? { kind: "delay", ms: 2_100 } : undefined));
    try {
      const data = randomBytes(3 * partSize + 1);
      const path = join(dir, "expiring.bin");
      writeFileSync(path, data);
      const c = createClient({ baseUrl: proxy.url, token: shortLived.tokens.a!, retry: { initialDelayMs: 5, maxDelayMs: 50 } });
      for (const send of [() => uploadFile(c, data, { partSize }), () => uploadFromNode(c, path, { partSize, checksum: true })]) {
        const puts = proxy.stats.puts;
        const upload = await send();
        expect(upload.status).toBe("completed");
        // Each of the 4 parts: its first PUT is held past its URL's second, so it is refused and
        // sent again on a renewed URL (on a slow machine a renewed URL may lapse too: ≥, not =).
        expect(proxy.stats.puts - puts).toBeGreaterThanOrEqual(8);
      }
    } finally {
      await proxy.close();
      await shortLived.stop();
    }
  }, 60_000);
});

describe("a process killed mid-upload, then resumed", () => {
  it("completes, and the bytes sent on resume equal the bytes that were missing", async () => {
    const data = randomBytes(60 * partSize + 100);
    const path = join(dir, "killed.bin");
    writeFileSync(path, data);
    // Slow part PUTs so that the kill lands mid-upload.
    const proxy = await startUploadFaultProxy(server.url, () => ({ kind: "delay", ms: 40 }));
    try {
      const child = spawn(
        process.execPath,
        ["--conditions=async-jobs-source", "--import", "tsx", "test/uploads/fixtures/upload-child.ts", proxy.url, server.tokens.a!, path, String(partSize), "2"],
        { cwd: root, stdio: ["ignore", "pipe", "inherit"] },
      );
      const exited = new Promise((r) => child.once("exit", r));
      let uploadId = "";
      let out = "";
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (d: Buffer) => {
          out += d.toString();
          for (const line of out.split("\n").slice(0, -1)) {
            const event = JSON.parse(line) as { created?: string; partsDone?: number; done?: boolean };
            if (event.created) uploadId = event.created;
            if (event.done) reject(new Error("the child finished before it was killed"));
            if ((event.partsDone ?? 0) >= 10) {
              child.kill("SIGKILL");
              resolve();
            }
          }
        });
        child.once("exit", () => resolve());
      });
      await exited;
      expect(uploadId).toMatch(/^upl_/);

      const before = await (await fetch(`${server.url}/v1/uploads/${uploadId}`, { headers: { authorization: `Bearer ${server.tokens.a}` } })).json();
      const missing = (before.parts as { size: number; etag: string | null }[]).filter((p) => !p.etag);
      const missingBytes = missing.reduce((sum, p) => sum + p.size, 0);
      expect(missing.length).toBeGreaterThan(0);
      expect(missing.length).toBeLessThan(before.parts.length);

      proxy.setFaults(() => undefined);
      const sentBefore = proxy.stats.forwardedPartBytes.get(uploadId) ?? 0;
      const upload = await uploadFromNode(clientFor(proxy.url), path, { resume: uploadId, checksum: true });
      expect(upload.status).toBe("completed");
      expect((proxy.stats.forwardedPartBytes.get(uploadId) ?? 0) - sentBefore).toBe(missingBytes);
      expect(await serverChecksum(upload.id)).toEqual({ sha256: sha256(data), size: data.byteLength });
    } finally {
      await proxy.close();
    }
  }, 60_000);
});
