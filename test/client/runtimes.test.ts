// The SDK's smoke suite (runtime/smoke.ts) bundled with esbuild (platform neutral) and run
// under Node 24, Bun, Deno and workerd against the real reference server and a fault proxy.
// A runtime that cannot start here is reported LOUDLY (console.warn + skip with the reason),
// never skipped silently.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFaultProxy, type FaultProxy } from "../helpers/fault-proxy.ts";
import { findRuntimeBinary, loadMiniflare, missingTool, runtimesHint } from "../helpers/find-tools.ts";
import { startReferenceServer, type ReferenceServer } from "../helpers/reference-server.ts";
import type { SmokeInput, SmokeResult } from "./runtime/smoke.ts";

const run = promisify(execFile);
const root = new URL("../../", import.meta.url).pathname;
let dir: string;
let server: ReferenceServer;
let proxy: FaultProxy;
let input: SmokeInput;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sdk-runtimes-"));
  const [started] = await Promise.all([
    startReferenceServer({ tenants: ["smoke"] }),
    build({
      entryPoints: { cli: join(root, "test/client/runtime/cli.ts"), worker: join(root, "test/client/runtime/worker.ts") },
      outdir: dir,
      outExtension: { ".js": ".mjs" },
      bundle: true,
      format: "esm",
      platform: "neutral",
      mainFields: ["module", "main"],
      conditions: ["async-jobs-source"],
      target: "es2022",
      logLevel: "error",
    }),
  ]);
  server = started;
  // The first request of each job's status path gets a 503: the SDK must retry it.
  const firstSeen = new Set<string>();
  proxy = await startFaultProxy(server.url, (req) => {
    if (!/^\/v1\/jobs\/job_/.test(req.url) || firstSeen.has(req.url)) return undefined;
    firstSeen.add(req.url);
    return { kind: "status", status: 503, retryAfterS: 0 };
  });
  input = { url: server.url, flakyUrl: proxy.url, token: server.tokens.smoke! };
}, 90_000);
afterAll(async () => {
  await proxy?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

function expectSmoke(result: { ok: boolean; error?: string } & Partial<SmokeResult>, name: string) {
  expect(result.error, `${name}: ${result.error}`).toBeUndefined();
  expect(result.ok).toBe(true);
  console.info(`[sdk] ${name} (${result.runtime}):\n  ${result.checks!.join("\n  ")}`);
  expect(result.checks).toHaveLength(7);
}

function loudSkip(ctx: { skip: (note?: string) => void }, reason: string) {
  console.warn(`\n!!! RUNTIME NOT TESTED: ${reason}\n`);
  ctx.skip(reason);
}

const createMiniflare = await loadMiniflare();

describe("SDK smoke suite in other runtimes", () => {
  it("workerd (miniflare)", async (ctx) => {
    if (!createMiniflare) return ctx.skip(missingTool("miniflare (workerd)", runtimesHint));
    const mf = createMiniflare({
      modules: true,
      script: await readFile(join(dir, "worker.mjs"), "utf8"),
      compatibilityDate: "2025-01-01",
    });
    try {
      const response = await mf.dispatchFetch("http://smoke/", { method: "POST", body: JSON.stringify(input) });
      expectSmoke((await response.json()) as never, "workerd");
    } finally {
      await mf.dispose();
    }
  }, 60_000);

  it.for<[string, () => [string, string[]] | string]>([
    ["Node 24", () => ["npx", ["-y", "node@24"]]],
    ["Deno", () => {
      const bin = findRuntimeBinary("deno");
      return bin ? [bin, ["run", "--quiet", "--no-config", "--no-lock", "--no-prompt", "--allow-net"]] : missingTool("Deno", runtimesHint);
    }],
    ["Bun", () => {
      const bin = findRuntimeBinary("bun");
      return bin ? [bin, ["run", "--silent"]] : missingTool("Bun", runtimesHint);
    }],
  ])("%s", { timeout: 150_000 }, async ([name, locate], ctx) => {
    const found = locate();
    if (typeof found === "string") return loudSkip(ctx, found);
    const [binary, args] = found;
    let stdout: string;
    try {
      ({ stdout } = await run(binary, [...args, join(dir, "cli.mjs"), JSON.stringify(input)], { cwd: dir, timeout: 120_000 }));
    } catch (error) {
      const e = error as { code?: string; stderr?: string; stdout?: string };
      // npx -y node@24 needs the npm registry once; without it, say so loudly.
      if (name === "Node 24" && !e.stdout?.includes("{")) return loudSkip(ctx, `Node 24 could not start: ${e.code} ${e.stderr?.slice(-400)}`);
      throw error;
    }
    expectSmoke(JSON.parse(stdout.trim().split("\n").at(-1)!), name);
  });
});
