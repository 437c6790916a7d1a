// One SDK upload in its own process (bundled by esbuild and run by plain node, so tsx's compiler
// does not count and its peak RSS is the upload's own); prints { transferS, totalS, maxRssMiB,
// partSize, cpuS } as JSON. Started by sdkUpload() in upload-harness.ts.
import { openAsBlob } from "node:fs";
import { createClient } from "../../src/index.ts";
import { uploadFile } from "../../src/node/uploads.ts";
import { uploadFile as uploadPortable } from "../../src/uploads/index.ts";

const [baseUrl, token, path, concurrency, transport] = process.argv.slice(2);
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
  transport === "fetch" ? await uploadPortable(client, await openAsBlob(path!), options) : await uploadFile(client, path!, options);
const done = performance.now();
const cpuSecondsOf = ({ user, system }: NodeJS.CpuUsage) => (user + system) / 1e6;
if (upload.status !== "completed") throw new Error(`upload ended ${upload.status}`);
process.stdout.write(
  JSON.stringify({
    transferS: (transferredAt - started) / 1000,
    totalS: (done - started) / 1000,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    partSize: upload.part_size,
    // User + system CPU of the whole upload (every thread): the client's share of the 2 cores.
    cpuS: cpuSecondsOf(process.cpuUsage()),
  }) + "\n",
);
