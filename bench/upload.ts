// Upload throughput and peak memory: a 1 GiB file (and a 100 MiB one, to show memory stays flat)
// to the reference server on loopback, with the SDK's default settings (Node entry: file path,
// node:http transport, 8 MiB parts, concurrency 4), beside `curl -T` of the same file to the same
// server as one part (the single-stream ceiling), at concurrency 1, 2, 4 and 8, and through the
// portable fetch transport. Each SDK run is a child process (this file bundled by esbuild and run
// by plain node, so tsx's compiler does not count), so its peak RSS is its own.
// For the largest size, the same beside an S3 bucket: the reference server with `--blobs s3://…`
// on the tests' loopback S3 server (s3rver), SDK parts and `curl -T` PUT straight to it.
// Run: npx tsx bench/upload.ts            (BENCH_SIZES_MIB=100,1024 to choose sizes; BENCH_S3=0 skips S3)
import { execFile, spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { mkdtempSync, openAsBlob, openSync, rmSync, writeSync, closeSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const MiB = 1024 * 1024;
const root = fileURLToPath(new URL("../", import.meta.url));
let childScript = "";

if (process.argv[2] === "--child") await child(process.argv.slice(3));
else await main();

/** One upload in this process; prints { transferS, totalS, maxRssMiB } as JSON. */
async function child([baseUrl, token, path, concurrency, transport]: string[]) {
  const { createClient } = await import("../src/index.ts");
  const { uploadFile } = await import("../src/node/uploads.ts");
  const { uploadFile: uploadPortable } = await import("../src/uploads/index.ts");
  const client = createClient({ baseUrl: baseUrl!, token });
  const started = performance.now();
  let transferredAt = 0;
  const options = {
    concurrency: Number(concurrency),
    onProgress: (p: { loadedBytes: number; totalBytes: number }) => {
      if (p.loadedBytes === p.totalBytes) transferredAt = performance.now();
    },
  };
  const upload =
    transport === "fetch"
      ? await uploadPortable(client, await openAsBlob(path!), options)
      : await uploadFile(client, path!, options);
  const done = performance.now();
  if (upload.status !== "completed") throw new Error(`upload ended ${upload.status}`);
  process.stdout.write(
    JSON.stringify({
      transferS: (transferredAt - started) / 1000,
      totalS: (done - started) / 1000,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      partSize: upload.part_size,
    }) + "\n",
  );
}

async function main() {
  const { startReferenceServer } = await import("../test/helpers/reference-server.ts");
  const sizes = (process.env.BENCH_SIZES_MIB ?? "100,1024").split(",").map(Number);
  const dir = mkdtempSync(join(tmpdir(), "aj-bench-upload-"));
  const { build } = await import("esbuild");
  await build({
    entryPoints: [fileURLToPath(import.meta.url)],
    bundle: true,
    platform: "node",
    format: "esm",
    conditions: ["async-jobs-source"],
    outfile: join(dir, "child.mjs"),
    logLevel: "error",
  });
  childScript = join(dir, "child.mjs");
  const server = await startReferenceServer();
  const token = server.tokens.a!;
  console.log(`reference server ${server.url}; files in ${dir}; ${new Date().toISOString()}`);
  console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(" ")} on ${availableParallelism()} cores (figures from a busy machine are noise)`);
  try {
    // What an SDK process weighs before any part: a 0-byte upload (one empty part).
    const empty = join(dir, "empty.bin");
    writeFile(empty, 0);
    const base = await sdkUpload(server.url, token, empty, "4", "node");
    console.log(`baseline: a 0-byte upload peaks at ${base.maxRssMiB.toFixed(0)} MiB RSS (node + the bundled SDK)`);
    for (const sizeMiB of sizes) {
      const path = join(dir, `file-${sizeMiB}.bin`);
      writeFile(path, sizeMiB * MiB);
      const size = sizeMiB * MiB;
      const curl = await curlUpload(server.url, token, path, size);
      console.log(`\n${sizeMiB} MiB file`);
      console.log(row("curl -T (one part, single stream)", size, curl.seconds, curl.maxRssMiB, curl.seconds));
      const runs: [string, string, string][] = sizeMiB === Math.max(...sizes)
        ? [["SDK defaults (node entry, c=4)", "4", "node"], ["node entry c=1", "1", "node"], ["node entry c=2", "2", "node"], ["node entry c=8", "8", "node"], ["fetch transport (Blob) c=4", "4", "fetch"]]
        : [["SDK defaults (node entry, c=4)", "4", "node"]];
      for (const [name, concurrency, transport] of runs) {
        const r = await sdkUpload(server.url, token, path, concurrency, transport);
        const budget = 100 + Number(concurrency) * (r.partSize / MiB);
        console.log(row(name, size, r.transferS, r.maxRssMiB, curl.seconds, `total with complete ${r.totalS.toFixed(2)} s; RSS goal ≤ ${budget} MiB`));
      }
      if (sizeMiB === Math.max(...sizes) && process.env.BENCH_S3 !== "0") {
        // The same file to S3: presigned UploadPart URLs straight to the bucket (docs/object-storage.md).
        const { startS3TestServer } = await import("../reference-server/test/blobs/s3-test-server.ts");
        const s3 = await startS3TestServer();
        const s3Server = await startReferenceServer({ args: ["--blobs", s3.blobsUrl("bench")] });
        try {
          const s3curl = await curlUpload(s3Server.url, s3Server.tokens.a!, path, size);
          console.log(`\n${sizeMiB} MiB file, --blobs s3://… on s3rver (loopback; parts go straight to it)`);
          console.log(row("curl -T to S3 (one presigned part)", size, s3curl.seconds, s3curl.maxRssMiB, s3curl.seconds));
          const r = await sdkUpload(s3Server.url, s3Server.tokens.a!, path, "4", "node");
          console.log(row("SDK defaults to S3 (node entry, c=4)", size, r.transferS, r.maxRssMiB, s3curl.seconds, `total with complete ${r.totalS.toFixed(2)} s`));
        } finally {
          await s3Server.stop();
          await s3.close();
        }
      }
      if (sizeMiB === Math.max(...sizes)) {
        // The client's own ceiling: the same runs against a loopback server that discards the
        // bytes (no disk, no database), as the figures were measured.
        const discard = await startDiscardServer();
        try {
          const dcurl = await curlUpload(discard.url, "x", path, size);
          console.log(`\n${sizeMiB} MiB file, discarding loopback server (not the reference server)`);
          console.log(row("curl -T (one part, single stream)", size, dcurl.seconds, dcurl.maxRssMiB, dcurl.seconds));
          for (const [name, concurrency, transport] of [["SDK defaults (node entry, c=4)", "4", "node"], ["node entry c=8", "8", "node"], ["fetch transport (Blob) c=4", "4", "fetch"]] as const) {
            const r = await sdkUpload(discard.url, "x", path, concurrency, transport);
            const budget = 100 + Number(concurrency) * (r.partSize / MiB);
            console.log(row(name, size, r.transferS, r.maxRssMiB, dcurl.seconds, `RSS goal ≤ ${budget} MiB`));
          }
        } finally {
          await discard.close();
        }
      }
      rmSync(path);
    }
    console.log(`\nload average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(name: string, size: number, seconds: number, rssMiB: number, curlSeconds: number, note = "") {
  const mbps = size / seconds / 1e6;
  const ratio = curlSeconds / seconds;
  return `  ${name.padEnd(36)} ${mbps.toFixed(0).padStart(6)} MB/s  ${ratio.toFixed(2)}× curl  peak RSS ${rssMiB.toFixed(0).padStart(5)} MiB  ${note}`;
}

/** Random-looking but cheap: one random MiB written over and over. */
function writeFile(path: string, size: number) {
  const block = randomBytes(MiB);
  const fd = openSync(path, "w");
  for (let at = 0; at < size; at += MiB) writeSync(fd, block, 0, Math.min(MiB, size - at));
  closeSync(fd);
}

/** Creates a one-part upload of the whole file and PUTs it with curl; then completes it. */
async function curlUpload(baseUrl: string, token: string, path: string, size: number) {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const created = await fetch(`${baseUrl}/v1/uploads`, {
    method: "POST",
    headers,
    body: JSON.stringify({ filename: "curl.bin", content_type: "application/octet-stream", size, part_size: size }),
  });
  const upload = (await created.json()) as { id: string; part_count: number; parts: { url: string; headers?: Record<string, string> }[] };
  if (upload.part_count !== 1) throw new Error(`expected one part, got ${upload.part_count}`);
  const part = upload.parts[0]!;
  const args = ["-f", "%M", "curl", "-sS", "-o", "/dev/null", "-D", "-", "-T", path, part.url];
  for (const [k, v] of Object.entries(part.headers ?? {})) args.push("-H", `${k}: ${v}`);
  const started = performance.now();
  const { stdout, stderr } = await promisify(execFile)("/usr/bin/time", args, { maxBuffer: 1 << 20 });
  const seconds = (performance.now() - started) / 1000;
  const etag = /^etag:\s*(.+?)\s*$/im.exec(stdout)?.[1];
  if (!etag) throw new Error(`curl PUT failed:\n${stdout}\n${stderr}`);
  await fetch(`${baseUrl}/v1/uploads/${upload.id}/complete`, { method: "POST", headers, body: JSON.stringify({ parts: [{ number: 1, etag }] }) });
  return { seconds, maxRssMiB: Number(stderr.trim().split("\n").at(-1)) / 1024 };
}

function sdkUpload(baseUrl: string, token: string, path: string, concurrency: string, transport: string) {
  return new Promise<{ transferS: number; totalS: number; maxRssMiB: number; partSize: number }>((resolve, reject) => {
    const c = spawn(process.execPath, [childScript, "--child", baseUrl, token, path, concurrency, transport], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    c.stdout.on("data", (d: Buffer) => (out += d.toString()));
    c.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").at(-1)!)) : reject(new Error(`child exited ${code}: ${out}`))));
  });
}

/** Just enough of the upload API to take parts and throw their bytes away. */
async function startDiscardServer() {
  const uploads = new Map<string, { size: number; partSize: number; count: number }>();
  let seq = 0;
  let origin = "";
  const partOf = (id: string, n: number) => {
    const u = uploads.get(id)!;
    const size = n === u.count ? u.size - u.partSize * (u.count - 1) : u.partSize;
    return { number: n, size, etag: null, url: `${origin}/v1/uploads/${id}/parts/${n}?size=${size}`, method: "PUT", headers: { "content-type": "application/octet-stream" } };
  };
  const view = (id: string, status = "pending") => {
    const u = uploads.get(id)!;
    const parts = Array.from({ length: u.count }, (_, i) => (i < 100 ? partOf(id, i + 1) : { number: i + 1, size: partOf(id, i + 1).size, etag: null }));
    return { id, status, filename: "f", content_type: "application/octet-stream", size: u.size, sha256: null, part_size: u.partSize, part_count: u.count, expires_at: new Date(Date.now() + 86_400_000).toISOString(), parts };
  };
  const server = createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? "/", origin);
    const m = /^\/v1\/uploads(?:\/([^/]+)(?:\/(part-urls|complete|parts\/(\d+)))?)?$/.exec(url.pathname);
    if (req.method === "PUT" && m?.[3]) {
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { etag: `"${m[3]}"` });
        res.end();
      });
      return;
    }
    let text = "";
    req.on("data", (d: Buffer) => (text += d));
    req.on("end", () => {
      const body = text ? JSON.parse(text) : {};
      if (!m) return json(404, {});
      if (!m[1]) {
        const id = `upl_${++seq}`;
        const partSize = body.part_size ?? 8 * MiB;
        uploads.set(id, { size: body.size, partSize, count: Math.max(1, Math.ceil(body.size / partSize)) });
        return json(201, view(id));
      }
      if (m[2] === "part-urls") return json(200, { parts: (body.numbers as number[]).map((n) => partOf(m[1]!, n)) });
      if (m[2] === "complete") return json(200, view(m[1]!, "completed"));
      return json(200, view(m[1]!));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: origin, close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))) };
}
