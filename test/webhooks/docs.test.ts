// docs/webhooks.md shows only compile-checked code: every TypeScript block follows a
// `<!-- sample: file -->` marker and equals the `#region doc` of that file in docs-samples/
// (type-checked by tsconfig.node.json; testing.test.ts also runs).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url);
const doc = readFileSync(new URL("docs/webhooks.md", root), "utf8");

function region(file: string): string {
  const text = readFileSync(new URL(`test/webhooks/docs-samples/${file}`, root), "utf8");
  const start = text.indexOf("// #region doc\n");
  const end = text.indexOf("// #endregion");
  expect(start, `${file} has a #region doc`).toBeGreaterThanOrEqual(0);
  return text.slice(start + "// #region doc\n".length, end).trimEnd();
}

describe("docs/webhooks.md samples", () => {
  const samples = [...doc.matchAll(/<!-- sample: (\S+) -->\n\n```ts\n([\s\S]*?)\n```/g)];

  it("has samples for every integration the doc promises", () => {
    expect(samples.map((m) => m[1])).toEqual(
      expect.arrayContaining(["express.ts", "next-route.ts", "hono.ts", "fastify.ts", "workers.ts", "deno.ts", "bun.ts", "rotation.ts", "replay.ts", "testing.test.ts"]),
    );
  });

  it.each(samples.map((m) => [m[1]!, m[2]!]))("%s matches its compiled source", (file, code) => {
    expect(code).toBe(region(file));
  });

  it("has no TypeScript block that is not a checked sample", () => {
    const blocks = doc.match(/```ts\n/g) ?? [];
    expect(blocks).toHaveLength(samples.length);
  });
});
