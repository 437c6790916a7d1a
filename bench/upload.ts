// Upload throughput and peak memory: a 1 GiB file (and a 100 MiB one, to show memory stays flat)
// to the reference server on loopback, with the SDK's default settings (Node entry: file path,
// node:http transport, 8 MiB parts, concurrency 4), beside `curl -T` of the same file to the same
// server as one part (the single-stream ceiling), at concurrency 1, 2, 4 and 8, and through the
// portable fetch transport. Each SDK run is a child process (support/sdk-upload-child.ts bundled by esbuild and run
// by plain node, so tsx's compiler does not count), so its peak RSS is its own.
// For the largest size, the same beside an S3 bucket: the reference server with `--blobs s3://…`
// on the tests' loopback S3 server (s3rver), SDK parts and `curl -T` PUT straight to it.
// Run: npx tsx bench/upload.ts            (BENCH_SIZES_MIB=100,1024 to choose sizes; BENCH_S3=0 skips S3)
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { curlUpload, prepareSdkUploads, startDiscardServer, writeTestFile as writeFile } from "./support/upload-harness.ts";

const MiB = 1024 * 1024;

await main();

async function main() {
  const { startReferenceServer } = await import("../test/helpers/reference-server.ts");
  const sizes = (process.env.BENCH_SIZES_MIB ?? "100,1024").split(",").map(Number);
  const dir = mkdtempSync(join(tmpdir(), "aj-bench-upload-"));
  const sdkUpload = await prepareSdkUploads(dir);
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
      const runs: [string, string, "node" | "fetch"][] = sizeMiB === Math.max(...sizes)
        ? [["SDK defaults (node entry, c=4)", "4", "node"], ["node entry c=1", "1", "node"], ["node entry c=2", "2", "node"], ["node entry c=8", "8", "node"], ["fetch transport (Blob) c=4", "4", "fetch"]]
        : [["SDK defaults (node entry, c=4)", "4", "node"]];
      for (const [name, concurrency, transport] of runs) {
        const r = await sdkUpload(server.url, token, path, concurrency, transport);
        const budget = 100 + Number(concurrency) * (r.partSize / MiB);
        console.log(row(name, size, r.transferS, r.maxRssMiB, curl.seconds, `total with complete ${r.totalS.toFixed(2)} s; RSS goal ≤ ${budget} MiB`));
      }
      if (sizeMiB === Math.max(...sizes) && process.env.BENCH_S3 !== "0") {
        // The same file to S3: presigned UploadPart URLs straight to the bucket (docs/object-storage.md).
        const { startS3TestServer } = await import("../test/helpers/s3-test-server.ts");
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
