import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { spliceCatalog } from "../src/catalog-markdown.ts";
import { catalog } from "../src/checks/index.ts";

const NEEDS = new Set(["echo", "checksum", "gzip", "other-token", "webhook", "webhook-secret", "webhook-retry", "lease", "part-url-ttl", "rate-limit", "private-webhooks-refused"]);

describe("the catalog (checks are data)", () => {
  it("has at least 45 well-formed checks with unique ids", () => {
    expect(catalog.length).toBeGreaterThanOrEqual(45);
    expect(new Set(catalog.map((c) => c.id)).size).toBe(catalog.length);
    for (const c of catalog) {
      expect(c.id).toMatch(/^[a-z0-9-]+\.[a-z0-9-]+$/);
      expect(["MUST", "SHOULD"]).toContain(c.level);
      expect(c.clause).toMatch(/^§([1-5]|8\.\d)/); // §1-5, or an extension of §8
      expect(c.title.length).toBeGreaterThan(10);
      for (const n of c.needs) expect(NEEDS.has(n), `${c.id}: unknown need ${n}`).toBe(true);
      expect(typeof c.run).toBe("function");
    }
  });

  it("covers every section of spec §1-5 the issue lists", () => {
    const sections = new Set(catalog.map((c) => c.id.split(".")[0]));
    for (const s of ["auth", "tenant", "errors", "health", "submit", "idempotency", "status", "long-poll", "lifecycle", "cancel", "list", "job-types", "webhooks", "uploads", "downloads"]) {
      expect(sections.has(s), s).toBe(true);
    }
    for (const clause of ["§1", "§2", "§3", "§4", "§5"]) expect(catalog.some((c) => c.clause.startsWith(clause)), clause).toBe(true);
  });

  it("docs/conformance.md carries the current catalog (npm run catalog -w conformance)", () => {
    const doc = readFileSync(new URL("../../docs/conformance.md", import.meta.url), "utf8");
    expect(spliceCatalog(doc, catalog)).toBe(doc);
    for (const c of catalog) expect(doc).toContain(`\`${c.id}\``);
  });
});
