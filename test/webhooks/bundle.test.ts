// What async-jobs/webhooks weighs and contains, bundled as an edge app would bundle it:
// esbuild, minify, ESM, platform neutral, then gzip (node:zlib). Figures are printed.
import { gzipSync } from "node:zlib";
import { build, type Metafile } from "esbuild";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url).pathname;

async function bundle(contents: string, external: string[] = []) {
  const result = await build({
    stdin: { contents, resolveDir: root, loader: "ts" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    conditions: ["async-jobs-source"],
    external,
    metafile: true,
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.contents;
  const meta = result.metafile as Metafile;
  const output = Object.values(meta.outputs)[0]!;
  return {
    text: new TextDecoder().decode(code),
    gzip: gzipSync(code).length,
    // Only the files that contributed bytes (metafile.inputs also lists tree-shaken ones).
    inputs: Object.entries(output.inputs).filter(([, v]) => v.bytesInOutput > 0).map(([k]) => k),
    imports: output.imports.map((i) => i.path),
  };
}

const sizes: Record<string, number> = {};
const entry = `export * from "async-jobs/webhooks";`;

describe("async-jobs/webhooks bundle", () => {
  it("verifyWebhookSignature alone is ≤ 1.5 KB min+gzip (issue #3)", async () => {
    const b = await bundle(`export { verifyWebhookSignature } from "async-jobs/webhooks";`);
    sizes["verifyWebhookSignature"] = b.gzip;
    expect(b.gzip).toBeLessThanOrEqual(1500);
  });

  it("signWebhook alone is ≤ 1.5 KB min+gzip", async () => {
    const b = await bundle(`export { signWebhook } from "async-jobs/webhooks";`);
    sizes["signWebhook"] = b.gzip;
    expect(b.gzip).toBeLessThanOrEqual(1500);
  });

  it("the whole entry, payload validation included, is ≤ 4 KB min+gzip (issue #3)", async () => {
    const b = await bundle(entry);
    sizes["whole entry"] = b.gzip;
    expect(b.gzip).toBeLessThanOrEqual(4000);
    // The validator is ours (decision 0005): no schema library is bundled.
    expect(b.inputs.filter((i) => i.includes("node_modules/"))).toEqual([]);
    expect(b.inputs).toContain("src/webhooks/event-schema.ts");
  });

  it("the payload validator alone is small", async () => {
    const b = await bundle(`export { parseJobEvent } from "async-jobs/webhooks";`);
    sizes["parseJobEvent"] = b.gzip;
    expect(b.gzip).toBeLessThanOrEqual(1200);
  });

  it("contains no client, retry, upload or HTTP-library code and imports nothing", async () => {
    const b = await bundle(entry);
    const forbidden = /node_modules\/(ky|openapi-fetch|p-retry)\/|(^|\/)src\/(client|uploads|internal|msw)\//;
    expect(b.inputs.filter((i) => forbidden.test(i))).toEqual([]);
    // Everything is bundled: no import of node:crypto or anything else survives.
    expect(b.imports).toEqual([]);
    expect(b.text).not.toMatch(/\bimport\s*\(?\s*["']node:/);
    expect(b.text).toContain('getBuiltinModule?.("node:crypto")');
  });

  it("importing the entry for nothing does no work (sideEffects: false, pure module scope)", async () => {
    const b = await bundle(`import "async-jobs/webhooks";`);
    expect(b.text.trim()).toBe("");
  });

  it("prints the figures", () => {
    console.info("[webhooks] min+gzip bytes:", JSON.stringify(sizes));
    expect(Object.keys(sizes)).toHaveLength(4);
  });
});
