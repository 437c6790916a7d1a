// docs/uploads.md shows only compile-checked code: every TypeScript block follows a
// `<!-- sample: file -->` marker and equals the `#region doc` of that file in docs-samples/
// (type-checked by tsconfig.node.json).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url);
const doc = readFileSync(new URL("docs/uploads.md", root), "utf8");

function region(file: string): string {
  const text = readFileSync(new URL(`test/uploads/docs-samples/${file}`, root), "utf8");
  const start = text.indexOf("// #region doc\n");
  const end = text.indexOf("// #endregion");
  expect(start, `${file} has a #region doc`).toBeGreaterThanOrEqual(0);
  return text.slice(start + "// #region doc\n".length, end).trimEnd();
}

describe("docs/uploads.md samples", () => {
  const samples = [...doc.matchAll(/<!-- sample: (\S+) -->\n\n```ts\n([\s\S]*?)\n```/g)];

  it("covers the browser, Node, streams and resume", () => {
    expect(samples.map((m) => m[1])).toEqual(["client-method.ts", "browser.ts", "node.ts", "stream.ts", "resume.ts"]);
  });

  it.each(samples.map((m) => [m[1]!, m[2]!]))("%s matches its compiled source", (file, code) => {
    expect(code).toBe(region(file));
  });

  it("has no TypeScript block that is not a checked sample", () => {
    expect(doc.match(/```ts\n/g) ?? []).toHaveLength(samples.length);
  });
});
