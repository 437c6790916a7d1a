import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { type Browser, chromium } from "playwright";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Upload } from "async-jobs/types";
import { findChromium } from "../helpers/find-tools.ts";
import { type ReferenceServer, startReferenceServer } from "../helpers/reference-server.ts";
import { startUploadFaultProxy } from "../helpers/upload-fault-proxy.ts";

// Acceptance of issue 16: in headless Chromium, a page uploading a file with resume: "auto" is
// reloaded mid-upload; the user picks the same file again and the upload continues from the
// entry in localStorage: the same upload, only the missing parts sent (counted by a loopback
// proxy in front of the real reference server), the checksum verified by the server.
const PART = 65_536;

let server: ReferenceServer;
let proxy: Awaited<ReturnType<typeof startUploadFaultProxy>>;
let pages: Server;
let pageUrl: string;
let browser: Browser;
let dir: string;

beforeAll(async () => {
  server = await startReferenceServer();
  proxy = await startUploadFaultProxy(server.url);
  dir = mkdtempSync(join(tmpdir(), "reload-resume-"));
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL("./fixtures/reload-resume-page.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["async-jobs-source"],
    write: false,
    logLevel: "silent",
  });
  const script = bundle.outputFiles[0]!.text;
  const html = '<!doctype html><input id="file" type="file"><pre id="status"></pre><script type="module" src="/page.js"></script>';
  pages = createServer((req, res) => {
    const js = req.url === "/page.js";
    res.writeHead(200, { "content-type": js ? "text/javascript" : "text/html" }).end(js ? script : html);
  });
  await new Promise<void>((resolve) => pages.listen(0, "127.0.0.1", resolve));
  pageUrl = `http://127.0.0.1:${(pages.address() as { port: number }).port}`;
  const executablePath = (await findChromium()) ?? "/usr/bin/chromium";
  browser = await chromium.launch({ executablePath, args: ["--headless", "--no-sandbox", "--disable-gpu"] });
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => pages?.close(resolve));
  await proxy?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function getUpload(id: string): Promise<Upload> {
  const res = await fetch(`${server.url}/v1/uploads/${id}`, { headers: { authorization: `Bearer ${server.tokens.a}` } });
  return (await res.json()) as Upload;
}

it("a page reloaded mid-upload continues the upload from localStorage when the same file is picked again", async () => {
  const bytes = randomBytes(8 * PART + 99); // 9 parts
  const path = join(dir, "video.bin");
  writeFileSync(path, bytes);
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${pageUrl}/?api=${encodeURIComponent(proxy.url)}&token=${server.tokens.a}`);

  proxy.setFaults(() => ({ kind: "delay", ms: 250 })); // slow parts: the reload lands mid-upload
  await page.setInputFiles("#file", path);
  const entries = () => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("async-jobs:upload:")).map((k) => JSON.parse(localStorage.getItem(k)!) as { uploadId: string }));
  await expect.poll(entries, { timeout: 20_000 }).toHaveLength(1);
  const id = (await entries())[0]!.uploadId;
  await expect.poll(async () => (await getUpload(id)).parts.filter((p) => p.etag).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);

  await page.reload();
  await new Promise((r) => setTimeout(r, 300)); // the cut-off part's bytes settle in the proxy's count
  const before = await getUpload(id);
  const missing = before.parts.filter((p) => !p.etag);
  expect(before.status).toBe("pending");
  expect(missing.length).toBeGreaterThan(0);
  expect(missing.length).toBeLessThan(before.part_count);
  expect((await entries()).map((e) => e.uploadId)).toEqual([id]); // the entry survived the reload

  proxy.setFaults(() => undefined);
  const forwardedBefore = proxy.stats.forwardedPartBytes.get(id) ?? 0;
  await page.setInputFiles("#file", path); // the user picks the file again
  await page.waitForFunction(() => document.getElementById("status")!.textContent !== "", undefined, { timeout: 30_000 });
  const text = (await page.textContent("#status"))!;
  expect(text).not.toMatch(/^error/);
  const upload = JSON.parse(text) as Upload;
  expect(upload).toMatchObject({ id, status: "completed", sha256: createHash("sha256").update(bytes).digest("hex") });
  expect((proxy.stats.forwardedPartBytes.get(id) ?? 0) - forwardedBefore).toBe(missing.reduce((sum, p) => sum + p.size, 0));
  expect(await entries()).toEqual([]); // completion removed the entry
  expect(errors).toEqual([]);
}, 90_000);
