// Part PUT ingest (issue 14): one upload with the SDK's defaults (node entry, 8 MiB parts,
// concurrency 4) to the reference server (parts fsynced before their 200), beside the same
// upload to a discarding loopback server (no disk, no database: the client's and loopback's own
// ceiling), to a bare Node server storing the parts through the local disk blob store alone
// (SHA-256, writes, fsync: the durable floor without the server's HTTP stack and database), and
// beside the disk alone writing the same bytes as fsynced 8 MiB files. The runs alternate, so
// every side of a ratio sees the same machine load; the best of each side is kept. Each upload
// runs in its own process (support/sdk-upload-child.ts).
//   npx tsx --conditions=async-jobs-source bench/server/part-ingest.ts [sizeMiB]
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLocalDiskBlobStore } from "../../reference-server/src/blobs/local-disk-blob-store.ts";
import { cpuSecondsOf, createCliProcesses } from "../support/cli-processes.ts";
import { printRows, type SectionRow } from "../support/section-row.ts";
import { prepareSdkUploads, startDiscardServer, writeTestFile } from "../support/upload-harness.ts";

const MiB = 1024 * 1024;
const ROUNDS = 2;

/**
 * MB/s of one SDK upload of `sizeMiB` to the reference server and to a discarding server.
 *
 * @example
 * const rows = await measurePartIngest({ sizeMiB: 256 }); // rows[0].ratio: server ÷ discarding
 */
export async function measurePartIngest(opts: { sizeMiB: number }): Promise<SectionRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "aj-bench-ingest-"));
  const cli = createCliProcesses();
  const token = "bench-token";
  try {
    const server = await cli.start(
      ["serve", "--port", "0", "--no-worker", "--store", `sqlite:${join(dir, "jobs.db")}`, "--blob-dir", join(dir, "blobs"), "--tokens", `${token}:t1`],
      /listening on (\S+)/,
    );
    const discard = await startDiscardServer();
    const floor = await startDiscardServer({ blobs: createLocalDiskBlobStore(join(dir, "floor-blobs")) });
    const sdkUpload = await prepareSdkUploads(dir);
    const path = join(dir, "file.bin");
    const size = opts.sizeMiB * MiB;
    writeTestFile(path, size);
    const mbps = (seconds: number) => size / seconds / 1e6;
    let toServer = 0;
    let toDiscard = 0;
    let toDisk = 0;
    let toFloor = 0;
    // CPU seconds of each side, summed over the rounds: the client's (its own process) and the
    // receiver's (the server process; the discarding and floor servers run in this bench process).
    const cpu = { serverClient: 0, discardClient: 0, discardReceiver: 0, floorReceiver: 0 };
    const ownCpuSeconds = () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1e6;
    };
    const cpuBefore = cpuSecondsOf(server.pid);
    for (let round = 0; round < ROUNDS; round++) {
      const receiverBefore = ownCpuSeconds();
      const discarded = await sdkUpload(discard.url, "x", path, "4");
      cpu.discardReceiver += ownCpuSeconds() - receiverBefore;
      cpu.discardClient += discarded.cpuS;
      toDiscard = Math.max(toDiscard, mbps(discarded.totalS));
      // Each durable upload follows a disk run, which frees the page cache it filled, so both
      // find the same memory: a VM's freshly handed pages cost the first write into them several
      // times more (docs/server.md), and whichever upload came second would get them.
      toDisk = Math.max(toDisk, mbps(await durableWriteSeconds(join(dir, "disk"), size)));
      const floorBefore = ownCpuSeconds();
      toFloor = Math.max(toFloor, mbps((await sdkUpload(floor.url, "x", path, "4")).totalS));
      cpu.floorReceiver += ownCpuSeconds() - floorBefore;
      toDisk = Math.max(toDisk, mbps(await durableWriteSeconds(join(dir, "disk"), size)));
      const stored = await sdkUpload(server.match, token, path, "4");
      cpu.serverClient += stored.cpuS;
      toServer = Math.max(toServer, mbps(stored.totalS));
    }
    // Less noisy than MB/s on a shared machine: what one GiB costs each process's CPU.
    const gibSent = (ROUNDS * size) / 1024 / MiB;
    const cpuPerGiB = (cpuSecondsOf(server.pid) - cpuBefore) / gibSent;
    await discard.close();
    await floor.close();
    return [
      {
        figure: `part PUT ingest, ${opts.sizeMiB} MiB, SDK defaults (create → complete, parts fsynced)`,
        value: toServer,
        unit: "MB/s",
        bare: toDiscard,
        ratio: toServer / toDiscard,
        goal: "≥ 0.7× the discarding loopback server",
      },
      {
        figure: "part PUT ingest beside the disk alone (8 MiB files, 4 at a time, each fsynced)",
        value: toServer,
        unit: "MB/s",
        bare: toDisk,
        ratio: toServer / toDisk,
        goal: "(the durable-write ceiling of this disk)",
      },
      {
        figure: "part PUT ingest beside a bare Node server storing parts (the blob store alone)",
        value: toServer,
        unit: "MB/s",
        bare: toFloor,
        ratio: toServer / toFloor,
        goal: "(the durable floor of this machine)",
      },
      { figure: "part PUT ingest: server CPU per GiB (user + system, all threads)", value: cpuPerGiB * 1000, unit: "ms", goal: "(lower is better)" },
      {
        figure: "part PUT ingest: bare storing server CPU per GiB (SHA-256, writes, fsync)",
        value: (cpu.floorReceiver / gibSent) * 1000,
        unit: "ms",
        goal: "(the bench process; idle otherwise)",
      },
      {
        figure: "part PUT ingest: discarding server CPU per GiB (the receiving floor)",
        value: (cpu.discardReceiver / gibSent) * 1000,
        unit: "ms",
        goal: "(the bench process; idle otherwise)",
      },
      {
        figure: "part PUT ingest: upload client CPU per GiB, to the server (bare: to the discarding server)",
        value: (cpu.serverClient / gibSent) * 1000,
        unit: "ms",
        bare: (cpu.discardClient / gibSent) * 1000,
        goal: "(the same SDK upload either way)",
      },
    ];
  } finally {
    await cli.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Seconds to write `size` bytes as 8 MiB files, 4 at a time, each fsynced: what parts cost the disk. */
async function durableWriteSeconds(dir: string, size: number): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const block = randomBytes(8 * MiB);
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let n = next++; n * block.byteLength < size; n = next++) {
        const file = await open(join(dir, String(n)), "w");
        await file.write(block, 0, Math.min(block.byteLength, size - n * block.byteLength));
        await file.datasync();
        await file.close();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  rmSync(dir, { recursive: true, force: true });
  return seconds;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  printRows(await measurePartIngest({ sizeMiB: Number(process.argv[2] ?? 256) }));
}
