// Runs the SDK as an application would, against BASE_URL (the proxy's https origin); prints one
// JSON line with what it saw. A child process, so NODE_EXTRA_CA_CERTS makes Node trust the
// test's throwaway certificate for fetch and node:https alike.
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { createClient, isApiError } from "async-jobs";
import { uploadFile } from "async-jobs/uploads/node";

const baseUrl = process.env.BASE_URL!;
const client = createClient({ baseUrl, token: process.env.TOKEN!, retry: false });
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

const echo = await client.jobs.submitAndWait({ type: "conformance.echo", input: { value: "through nginx", duration_ms: 300 } });

const bytes = randomBytes(20 * 1024 * 1024);
const path = join(process.env.WORK_DIR!, "twenty.bin");
writeFileSync(path, bytes);
// The part URLs the server hands out (the SDK follows them without showing them).
const created = await fetch(`${baseUrl}/v1/uploads`, {
  method: "POST",
  headers: { authorization: `Bearer ${process.env.TOKEN}`, "content-type": "application/json" },
  body: JSON.stringify({ filename: "probe.bin", content_type: "application/octet-stream", size: 10 }),
});
const partUrls = ((await created.json()) as { parts: { url: string | null }[] }).parts.map((p) => p.url);
const upload = await uploadFile(client, path, { checksum: true });
const checksum = await client.jobs.submitAndWait({ type: "file.checksum", input: { upload_id: upload.id } });
const gzip = await client.jobs.submitAndWait({ type: "file.gzip", input: { upload_id: upload.id } });
const downloadUrl = (gzip.result as { download: { url: string } }).download.url;
const download = await fetch(downloadUrl);
const downloaded = gunzipSync(new Uint8Array(await download.arrayBuffer()));

// A JSON body above the proxy's client_max_body_size: nginx's own 413 page answers.
const tooLarge = await client.jobs
  .submit({ type: "conformance.echo", input: { value: "x".repeat(3 * 1024 * 1024) } })
  .then(() => undefined, (error: unknown) => error);

process.stdout.write(
  `${JSON.stringify({
    echo: echo.result,
    upload: { status: upload.status, sha256: upload.sha256, size: upload.size },
    localSha256: sha256(bytes),
    checksum: checksum.result,
    downloadUrl,
    downloadStatus: download.status,
    downloadedSha256: sha256(downloaded),
    tooLarge: isApiError(tooLarge)
      ? { name: tooLarge.name, status: tooLarge.status, code: tooLarge.code, detail: tooLarge.problem.detail }
      : String(tooLarge),
    partUrls,
  })}\n`,
);
