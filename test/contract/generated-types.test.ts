import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

describe("src/generated/openapi.d.ts", () => {
  it("is what `npm run generate` writes from openapi.yaml (never edited by hand)", async () => {
    const ast = await openapiTS(new URL("openapi.yaml", `file://${root}`), { redocly: undefined });
    const fresh = astToString(ast);
    const committed = readFileSync(`${root}src/generated/openapi.d.ts`, "utf8");
    // The CLI adds a banner; compare the generated body only.
    expect(committed.endsWith(fresh), "stale: run `npm run generate` and commit").toBe(true);
  });
});
