// The Fetch handler in workerd (miniflare), Deno and Bun: the entry is bundled with esbuild
// (platform neutral, as an edge bundler would) and run in each runtime. A runtime that cannot
// start here is reported as skipped with the reason in the test output, never silently.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signWebhook } from "async-jobs/webhooks";
import type { ProbeInput, ProbeResult } from "./runtime/probe.ts";
import { events, OTHER_SECRET, SECRET } from "./fixtures.ts";
import { findRuntimeBinary, loadMiniflare, missingTool, runtimesHint } from "../helpers/find-tools.ts";

const createMiniflare = await loadMiniflare();

const run = promisify(execFile);
const root = new URL("../../", import.meta.url).pathname;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "webhooks-runtimes-"));
  await build({
    entryPoints: { cli: join(root, "test/webhooks/runtime/cli.ts"), worker: join(root, "test/webhooks/runtime/worker.ts") },
    outdir: dir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    conditions: ["async-jobs-source"],
    target: "es2022",
    logLevel: "error",
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function input(): Promise<ProbeInput> {
  const event = events["job.succeeded"];
  const body = JSON.stringify(event);
  const headers = await signWebhook({ id: "evt_node", timestamp: new Date(), body }, SECRET);
  return { secret: SECRET, otherSecret: OTHER_SECRET, event, fromNode: { headers: { ...headers }, body } };
}

function expectProbe(result: ProbeResult) {
  expect(result.fromNode).toEqual({ status: 204, type: "job.succeeded" });
  expect(result.selfSigned).toEqual({ status: 204, type: "job.succeeded" });
  expect(result.forged).toEqual({ status: 400, code: "no_matching_signature" });
  expect(result.webCrypto).toEqual({ status: 204 });
}

describe("webhookHandler in other runtimes", () => {
  it.for<[string, string[], "node" | "web"]>([
    ["workerd (miniflare), no nodejs_compat → Web Crypto path", [], "web"],
    ["workerd (miniflare), nodejs_compat → node:crypto path", ["nodejs_compat"], "node"],
  ])("%s", async ([, compatibilityFlags, backend], ctx) => {
    if (!createMiniflare) return ctx.skip(missingTool("miniflare (workerd)", runtimesHint));
    const mf = createMiniflare({
      modules: true,
      // The bundle's text, not its path: workerd refuses paths that climb out of the cwd.
      script: await readFile(join(dir, "worker.mjs"), "utf8"),
      compatibilityDate: "2025-09-01",
      compatibilityFlags,
    });
    try {
      const response = await mf.dispatchFetch("http://probe/", { method: "POST", body: JSON.stringify(await input()) });
      const result = (await response.json()) as ProbeResult;
      console.info(`[webhooks] workerd ${compatibilityFlags.join(",") || "(no flags)"}:`, JSON.stringify(result));
      expect(result.backend).toBe(backend);
      expectProbe(result);
    } finally {
      await mf.dispose();
    }
  });

  it.for<[string, "deno" | "bun", string[]]>([
    ["Deno", "deno", ["run", "--quiet", "--no-config", "--no-lock", "--no-prompt"]],
    ["Bun", "bun", ["run", "--silent"]],
  ])("%s", async ([name, runtime, args], ctx) => {
    const binary = findRuntimeBinary(runtime);
    if (!binary) return ctx.skip(missingTool(name, runtimesHint));
    const { stdout } = await run(binary, [...args, join(dir, "cli.mjs"), JSON.stringify(await input())], { cwd: dir, timeout: 15_000 });
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as ProbeResult;
    const { stdout: version } = await run(binary, ["--version"]);
    console.info(`[webhooks] ${name} ${version.trim().split("\n")[0]}:`, JSON.stringify(result));
    expectProbe(result);
  });
});
