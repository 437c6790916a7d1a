import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

// Each SDK entry bundled the way an application's bundler would (minified, tree-shaken, deps
// included) and measured min+gzip. The budgets are the issues' (#3, #5, #6); a failing row
// means an entry grew: look at what it pulls in before raising a number.
const root = fileURLToPath(new URL("../../", import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as {
  exports: Record<string, string | Record<string, string>>;
};

/** Budget in bytes (min+gzip) per export; node entries run on Node and are measured for Node. */
const budgets: Record<string, { bytes: number; platform: "neutral" | "node"; external?: string[] }> = {
  // 12,000 until client.jobs.watch (#15): the job stream reader (event-stream parser, Last-Event-ID
  // reconnects, long-poll fallback) is ~1.1 KB (12,790 B then; 11,687 B before).
  ".": { bytes: 13_000, platform: "neutral" },
  "./jobs": { bytes: 8_000, platform: "neutral" },
  "./uploads": { bytes: 10_000, platform: "neutral" },
  "./webhooks": { bytes: 4_000, platform: "neutral" },
  // 10,000 until the mock took every rule from the protocol core (#18): the full problem registry
  // and the complete Prefer, Idempotency-Key, Range and part-plan grammars cost ~0.5 KB more than
  // the shortcuts they replaced (10,472 B then).
  // 10,600 until the mock streamed jobs (#15): the pulled event stream is ~0.55 KB (11,031 B then).
  "./msw": { bytes: 11_200, platform: "neutral", external: ["msw"] },
  "./types": { bytes: 50, platform: "neutral" },
  "./protocol": { bytes: 3_000, platform: "neutral" },
  "./webhooks/node": { bytes: 6_000, platform: "node" },
  "./uploads/node": { bytes: 14_000, platform: "node" },
};

/** What must never be inside an entry (STYLE §2). */
const forbidden: Record<string, RegExp[]> = {
  "./webhooks": [/node_modules\/ky\//, /node_modules\/openapi-fetch\//, /node_modules\/p-retry\//, /src\/client\//, /src\/jobs\//, /src\/uploads\//],
  "./jobs": [/src\/uploads\//, /src\/webhooks\//],
  "./uploads": [/src\/webhooks\//, /src\/jobs\//],
};

const entries = Object.entries(pkg.exports).flatMap(([subpath, target]) =>
  typeof target === "object" && target["async-jobs-source"] ? [[subpath, target["async-jobs-source"]] as const] : [],
);

async function bundle(contents: string, platform: "neutral" | "node", external: string[] = []) {
  const result = await build({
    stdin: { contents, resolveDir: root, loader: "ts" },
    bundle: true,
    minify: true,
    format: "esm",
    platform,
    mainFields: ["module", "main"],
    conditions: ["async-jobs-source"],
    external: [...external, "node:*"],
    metafile: true,
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.contents;
  return { code, gzip: gzipSync(code, { level: 9 }).length, inputs: Object.keys(result.metafile.inputs) };
}

/**
 * What an app loads when it imports the entry: the entry chunk and its static imports. Code
 * behind a dynamic `import()` (the SHA-256 for `checksum: true`) is split off, as an app's
 * bundler splits it, and reported separately.
 */
async function bundleEager(source: string, platform: "neutral" | "node", external: string[] = []) {
  const result = await build({
    entryPoints: [`${root}${source.slice(2)}`],
    bundle: true,
    splitting: true,
    outdir: `${root}.bundle-size-out`,
    minify: true,
    format: "esm",
    platform,
    mainFields: ["module", "main"],
    conditions: ["async-jobs-source"],
    external: [...external, "node:*"],
    metafile: true,
    write: false,
    logLevel: "silent",
  });
  const outputs = result.metafile.outputs;
  const entry = Object.keys(outputs).find((o) => outputs[o]!.entryPoint)!;
  const eager = new Set<string>();
  const visit = (o: string) => {
    if (eager.has(o)) return;
    eager.add(o);
    for (const i of outputs[o]!.imports) if (i.kind === "import-statement" && outputs[i.path]) visit(i.path);
  };
  visit(entry);
  const sizeOf = (paths: string[]) =>
    result.outputFiles
      .filter((f) => paths.some((p) => f.path.endsWith(p)))
      .reduce((sum, f) => sum + gzipSync(f.contents, { level: 9 }).length, 0);
  const lazy = Object.keys(outputs).filter((o) => !eager.has(o) && !o.endsWith(".map"));
  return {
    gzip: sizeOf([...eager]),
    lazyGzip: sizeOf(lazy),
    inputs: [...eager].flatMap((o) => Object.keys(outputs[o]!.inputs)),
  };
}

describe("SDK entry bundles", () => {
  it("every SDK entry has a budget row", () => {
    expect(entries.map(([s]) => s).filter((s) => !budgets[s])).toEqual([]);
  });

  for (const [subpath, source] of entries) {
    const budget = budgets[subpath];
    if (!budget) continue;
    it(`${subpath} stays within ${budget.bytes} B min+gzip and pulls in nothing it must not`, async () => {
      const { gzip, lazyGzip, inputs } = await bundleEager(source, budget.platform, budget.external);
      console.info(`bundle ${subpath}: ${gzip} B min+gzip on import (budget ${budget.bytes} B), ${lazyGzip} B loaded lazily`);
      expect(gzip).toBeLessThanOrEqual(budget.bytes);
      for (const pattern of forbidden[subpath] ?? []) {
        expect(inputs.filter((i) => pattern.test(i)), `${subpath} contains ${pattern}`).toEqual([]);
      }
    });

    it(`importing ${subpath} for its side effects only bundles to nothing ("sideEffects": false)`, async () => {
      const { code } = await bundle(`import "./${source.slice(2)}";`, budget.platform, budget.external);
      expect(new TextDecoder().decode(code).trim()).toBe("");
    });
  }
});
