// `npm run demo`: the whole async request-reply pattern on this machine, offline, in under a minute.
// A reference server (embedded SQLite in a temp dir), a webhook receiver, and the SDK: a parallel
// upload with a live bar, file.checksum and file.gzip with submitAndWait and job bars, both
// webhooks verified, the gzip output downloaded through its presigned URL and checked.
// Imports are relative (not "async-jobs/…") so that it runs from a fresh clone without a build.
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { createGunzip } from "node:zlib";
import { createClient } from "../src/client/create-client.ts";
import { createJobBar, createTransferBar, type BarOptions } from "../src/node/cli/progress-bars.ts";
import { uploadFile } from "../src/node/uploads.ts";
import { verifyNodeWebhook } from "../src/node/webhooks.ts";
import type { Job, JobEvent } from "../src/types.ts";
// The one ready-line wait the tests and benches use too (scripts/ and test/ are not published).
import { spawnUntilReady } from "../test/helpers/spawn-until-ready.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const MiB = 1024 * 1024;
const sizeMb = Number(process.env.DEMO_SIZE_MB ?? 200);
const partSize = 8 * MiB;
const concurrency = 4;
const bars: BarOptions = { stream: process.stderr, noTtyOutput: true, noTtyIntervalMs: 1000 };
const log = (line: string) => process.stdout.write(`${line}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mb = (bytes: number) => `${(bytes / MiB).toFixed(1)} MB`;

// Everything to undo, whatever happens (failure, Ctrl-C): child processes, servers, the temp dir.
const cleanups: (() => Promise<void> | void)[] = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const undo of cleanups.reverse()) await Promise.resolve(undo()).catch(() => undefined);
  })();
  return cleaning;
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`\n${signal}: cleaning up`);
    void cleanup().then(() => process.exit(130));
  });
}

/** Starts `async-jobs-server serve` as a child process and resolves with its URL. */
async function startServer(dir: string, token: string, secret: string): Promise<string> {
  const { ready: url } = await spawnUntilReady(
    process.execPath,
    [
      "--conditions=async-jobs-source",
      "--import",
      "tsx",
      "reference-server/src/cli.ts",
      "serve",
      "--port",
      "0",
      "--store",
      `sqlite:${join(dir, "jobs.db")}`,
      "--blob-dir",
      join(dir, "blobs"),
      "--tokens",
      `${token}:demo`,
      "--webhook-secret",
      secret,
      // The receiver is on loopback, which the server refuses unless told (spec §3).
      "--allow-private-webhooks",
    ],
    {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: "" },
      timeoutMs: 30_000,
      name: "the reference server",
      // Registered at spawn, so a server that never gets ready is stopped too.
      onSpawn: (child) =>
        cleanups.push(async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = once(child, "exit");
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
          await exited;
          clearTimeout(timer);
        }),
    },
  );
  return url;
}

/** A local webhook receiver that verifies every delivery and resolves one promise per job. */
async function startReceiver(secret: string) {
  const waiting = new Map<string, (event: JobEvent) => void>();
  const arrived = new Map<string, JobEvent>();
  const seen = new Set<string>();
  let received = 0;
  let verified = 0;
  const server: Server = createServer(async (req, res) => {
    received++;
    try {
      // Verified over the raw body with the tenant's secret (Standard Webhooks).
      const event = await verifyNodeWebhook(req, secret);
      verified++;
      const id = String(req.headers["webhook-id"]);
      if (!seen.has(id)) {
        seen.add(id); // dedupe on webhook-id: a retried delivery is acknowledged, not acted on twice
        arrived.set(event.data.id, event);
        waiting.get(event.data.id)?.(event);
      }
      res.writeHead(204).end();
    } catch (error) {
      res.writeHead(400, { "content-type": "text/plain" }).end(String(error));
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hooks/async-jobs`,
    counts: () => ({ received, verified }),
    /** The verified event of a job, waiting up to `ms` for it. */
    eventFor(jobId: string, ms: number): Promise<JobEvent> {
      const early = arrived.get(jobId);
      if (early) return Promise.resolve(early);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no webhook for ${jobId} within ${ms} ms`)), ms);
        waiting.set(jobId, (event) => {
          clearTimeout(timer);
          resolve(event);
        });
      });
    },
  };
}

/** One MiB of log-like lines: realistic to compress (about 20:1) and quick to gzip. */
function logBlock(n: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let row = n * 20_000; size < MiB; row++) {
    const line = `2026-11-23T10:${String((row >> 6) % 60).padStart(2, "0")}:${String(row % 60).padStart(2, "0")}Z INFO worker-${row % 4} job.completed type=file.checksum status=${row % 97 === 0 ? "failed" : "succeeded"} attempt=1 duration_ms=${(row * 7919) % 1000}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join("")).subarray(0, MiB);
}

/**
 * Writes a file of `bytes` bytes and returns its SHA-256. A few template blocks are copied and
 * stamped with their block number, so 200 MB take about as long as writing them to disk.
 */
async function generateFile(path: string, bytes: number): Promise<{ size: number; sha256: string }> {
  const templates = [0, 1, 2, 3].map(logBlock);
  const hash = createHash("sha256");
  let size = 0;
  function* chunks() {
    for (let block = 0; size < bytes; block++) {
      const chunk = Buffer.from(templates[block % templates.length]!.subarray(0, Math.min(MiB, bytes - size)));
      chunk.write(`# block ${String(block).padStart(8, "0")}\n`.slice(0, chunk.length), 0, "latin1");
      size += chunk.length;
      hash.update(chunk);
      yield chunk;
    }
  }
  await pipeline(Readable.from(chunks()), createWriteStream(path));
  return { size, sha256: hash.digest("hex") };
}

async function main() {
  const started = performance.now();
  const dir = await mkdtemp(join(tmpdir(), "async-jobs-demo-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const token = `demo-${randomBytes(8).toString("hex")}`;
  const secret = `whsec_${randomBytes(32).toString("base64")}`;

  log(`async-jobs demo: ${sizeMb} MB, everything local (temp dir ${dir})`);
  const [baseUrl, receiver] = await Promise.all([startServer(dir, token, secret), startReceiver(secret)]);
  log(`reference server  ${baseUrl}  (embedded SQLite)`);
  log(`webhook receiver  ${receiver.url}`);

  let apiRequests = 0;
  const client = createClient({
    baseUrl,
    token,
    fetch: (input, init) => {
      apiRequests++;
      return fetch(input, init);
    },
  });

  const t0 = performance.now();
  const path = join(dir, "worker.log");
  const file = await generateFile(path, sizeMb * MiB);
  const generateMs = performance.now() - t0;
  log(`generated         ${path}  ${mb(file.size)} in ${seconds(generateMs)}`);

  const t1 = performance.now();
  const uploadBar = createTransferBar("upload  ", file.size, bars);
  const upload = await uploadFile(client, path, {
    contentType: "text/plain",
    partSize,
    concurrency,
    checksum: true,
    onProgress: (p) => uploadBar.update(p.loadedBytes),
  });
  uploadBar.stop();
  const uploadMs = performance.now() - t1;
  log(`uploaded          ${upload.id}  ${upload.part_count} parts, ${mb(file.size / (uploadMs / 1000))}/s, sha256 verified by the server`);

  const webhook = { url: receiver.url };
  const t2 = performance.now();
  const checksumBar = createJobBar("checksum", bars);
  const checksum = await client.jobs.submitAndWait(
    { type: "file.checksum", input: { upload_id: upload.id, algorithm: "sha256" }, webhook },
    { onProgress: (job) => checksumBar.update(job as Job) },
  );
  checksumBar.stop();
  const checksumMs = performance.now() - t2;
  if (checksum.result.sha256 !== file.sha256 || checksum.result.size !== file.size) {
    throw new Error(`file.checksum says ${checksum.result.sha256} (${checksum.result.size} bytes); the file is ${file.sha256}`);
  }
  log(`file.checksum     ${checksum.id}  sha256 ${checksum.result.sha256.slice(0, 16)}… matches`);

  const t3 = performance.now();
  const gzipBar = createJobBar("gzip    ", bars);
  const gzip = await client.jobs.submitAndWait(
    { type: "file.gzip", input: { upload_id: upload.id }, webhook },
    { onProgress: (job) => gzipBar.update(job as Job) },
  );
  gzipBar.stop();
  const gzipMs = performance.now() - t3;
  log(`file.gzip         ${gzip.id}  ${mb(gzip.result.size)} → ${mb(gzip.result.gzip_size)}`);

  const t4 = performance.now();
  const events = await Promise.all([receiver.eventFor(checksum.id, 30_000), receiver.eventFor(gzip.id, 30_000)]);
  const webhookMs = performance.now() - t4;
  for (const event of events) {
    if (event.type !== "job.succeeded") throw new Error(`unexpected webhook ${event.type} for ${event.data.id}`);
  }
  log(`webhooks          ${events.map((e) => `${e.type} ${e.data.id}`).join(", ")} (signatures verified)`);

  const t5 = performance.now();
  const response = await fetch(gzip.result.download.url);
  if (!response.ok || !response.body) throw new Error(`download answered ${response.status}`);
  const downloadBar = createTransferBar("download", gzip.result.gzip_size, bars);
  let downloaded = 0;
  const unzippedHash = createHash("sha256");
  let unzippedSize = 0;
  const body = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>).on("data", (chunk: Buffer) => {
    downloaded += chunk.length;
    downloadBar.update(downloaded);
  });
  await pipeline(body, createGunzip(), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      unzippedHash.update(chunk);
      unzippedSize += chunk.length;
    }
  });
  downloadBar.stop();
  const downloadMs = performance.now() - t5;
  const unzippedSha = unzippedHash.digest("hex");
  if (unzippedSha !== file.sha256 || unzippedSize !== file.size) {
    throw new Error(`the gunzipped download (${unzippedSize} bytes, ${unzippedSha}) differs from the original`);
  }
  log(`downloaded        ${mb(downloaded)} through the presigned URL; gunzip + sha256 equal the original`);

  const { received, verified } = receiver.counts();
  const totalMs = performance.now() - started;
  log("");
  log("== summary");
  log(`file        ${mb(file.size)}  sha256 ${file.sha256.slice(0, 16)}…  generated in ${seconds(generateMs)}`);
  log(`upload      ${seconds(uploadMs)}  ${mb(file.size / (uploadMs / 1000))}/s  ${upload.part_count} parts × ${mb(upload.part_size)}, concurrency ${concurrency}`);
  log(`checksum    ${seconds(checksumMs)}  (submitAndWait, file.checksum)`);
  log(`gzip        ${seconds(gzipMs)}  ${mb(gzip.result.size)} → ${mb(gzip.result.gzip_size)} (${((100 * gzip.result.gzip_size) / gzip.result.size).toFixed(1)}%)`);
  log(`webhooks    ${received} received, ${verified} verified, both events within ${seconds(webhookMs)} of the second job's end`);
  log(`download    ${seconds(downloadMs)}  ${mb(downloaded)}, gunzipped and checked`);
  log(`requests    ${apiRequests} API · ${upload.part_count} part PUTs · 1 download · ${received} webhook deliveries`);
  log(`total       ${seconds(totalMs)}`);
  log("demo OK");
}

try {
  await main();
  await cleanup();
  process.exit(0);
} catch (error) {
  process.stderr.write(`\ndemo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  await cleanup();
  process.exit(1);
}
