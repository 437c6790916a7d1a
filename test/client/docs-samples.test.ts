import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

// docs/sdk.md shows the files of test/client/docs-samples/ verbatim; tsc compiles those files,
// so a sample in the doc that stops compiling (or drifts from its file) fails here or there.
const dir = new URL("./docs-samples/", import.meta.url);
const doc = readFileSync(new URL("../../docs/sdk.md", import.meta.url), "utf8");

describe("docs/sdk.md samples", () => {
  const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));
  it("has samples", () => expect(files.length).toBeGreaterThanOrEqual(8));
  for (const file of files) {
    it(`${file} appears verbatim in docs/sdk.md`, () => {
      const code = readFileSync(new URL(file, dir), "utf8").trimEnd();
      expect(doc).toContain("```ts\n" + code + "\n```");
    });
  }
});
