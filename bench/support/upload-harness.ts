// What the upload benches share: the test file, the SDK upload in a child process, `curl -T` of
// one part, and a discarding loopback server (the client's own ceiling: no disk, no database).
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync, writeSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { BlobStore } from "../../reference-server/src/blobs/blob-store.ts";

const MiB = 1024 * 1024;
const root = fileURLToPath(new URL("../../", import.meta.url));

/** One SDK upload's figures, as sdk-upload-child.ts prints them. */
export interface SdkUploadFigures {
  /** Until the last byte was sent. */
  transferS: number;
  /** Create to complete, every part answered `200`. */
  totalS: number;
  maxRssMiB: number;
  partSize: number;
  /** User + system CPU seconds of the uploading process, from its start. */
  cpuS: number;
}

/** Bundles sdk-upload-child.ts into `dir` and returns a runner of SDK uploads in child processes. */
export async function prepareSdkUploads(dir: string) {
  const { build } = await import("esbuild");
  const script = join(dir, "sdk-upload-child.mjs");
  await build({
    entryPoints: [fileURLToPath(new URL("./sdk-upload-child.ts", import.meta.url))],
    bundle: true,
    platform: "node",
    format: "esm",
    conditions: ["async-jobs-source"],
    outfile: script,
    logLevel: "error",
  });
  return (baseUrl: string, token: string, path: string, concurrency: string, transport: "node" | "fetch" = "node") =>
    new Promise<SdkUploadFigures>((resolve, reject) => {
      const child = spawn(process.execPath, [script, baseUrl, token, path, concurrency, transport], {
        cwd: root,
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.on("exit", (code) =>
        code === 0 ? resolve(JSON.parse(out.trim().split("\n").at(-1)!)) : reject(new Error(`upload child exited ${code}: ${out}`)),
      );
    });
}

/** Random-looking but cheap: one random MiB written over and over. */
export function writeTestFile(path: string, size: number) {
  const block = randomBytes(MiB);
  const fd = openSync(path, "w");
  for (let at = 0; at < size; at += MiB) writeSync(fd, block, 0, Math.min(MiB, size - at));
  closeSync(fd);
}

/** Creates a one-part upload of the whole file and PUTs it with curl; then completes it. */
export async function curlUpload(baseUrl: string, token: string, path: string, size: number) {
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

/**
 * Just enough of the upload API to take parts and throw their bytes away; with `blobs`, to store
 * them there instead (hashed, written, fsynced): what a durable part costs without the reference
 * server's HTTP stack, body guard and database.
 */
export async function startDiscardServer(options: { blobs?: BlobStore } = {}) {
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
    if (req.method === "PUT" && m?.[3] && options.blobs) {
      options.blobs.writePart(m[1]!, Number(m[3]), req, Number(url.searchParams.get("size"))).then(
        (part) => res.writeHead(200, { etag: part.etag }).end(),
        (error: Error) => res.writeHead(500).end(error.message),
      );
      return;
    }
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
