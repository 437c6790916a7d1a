import { describe, expect, it } from "vitest";
import { renderHtml } from "../src/reporters/html.ts";
import { renderJson } from "../src/reporters/json.ts";
import { renderJunit } from "../src/reporters/junit.ts";
import { createPrettyReporter, formatCatalog } from "../src/reporters/pretty.ts";
import { catalog } from "../src/checks/index.ts";
import { sampleReport } from "./support/sample-report.ts";

describe("reporters", () => {
  it("json round-trips the report", () => {
    const parsed = JSON.parse(renderJson(sampleReport()));
    expect(parsed.tool).toBe("async-jobs-conformance");
    expect(parsed.summary.mustFailed).toBe(1);
    expect(parsed.results[0].evidence[0].status).toBe(200);
  });

  it("junit: one testsuite per section, failures with clause and evidence, skips with reasons, escaped", () => {
    const xml = renderJunit(sampleReport());
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(xml).toContain('<testsuites name="async-jobs-conformance" tests="4" failures="2" skipped="1"');
    expect(xml.match(/<testsuite /g)).toHaveLength(3);
    expect(xml).toContain('<failure message="[MUST] submit: expected 202, got 200 &lt;b&gt;bold&lt;/b&gt;" type="§2 Submit">');
    expect(xml).toContain('<skipped message="no second tenant (pass --other-token)"/>');
    expect(xml).toContain("&lt;script&gt;");
    expect(xml).not.toContain("<script>");
    expect(xml).not.toContain("\u0001");
    expect(xml.match(/<testcase /g)).toHaveLength(4);
    expect(xml.match(/<\/testcase>/g)).toHaveLength(4);
  });

  it("html: self-contained, every row present, hostile text escaped", () => {
    const html = renderHtml(sampleReport());
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    expect(html).toContain("FAIL: 1 MUST check failed");
    expect(html.match(/<tr class="/g)).toHaveLength(4);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("&lt;b&gt;bold&lt;/b&gt;");
    expect(html).toContain('data-section="long-poll"');
  });

  it("html: failures first (MUST before SHOULD), linked from the banner, each with its curl line; versions and MUST counts", () => {
    const html = renderHtml(sampleReport());
    const rows = [...html.matchAll(/<tr class="(\w+)" id="([^"]+)"/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(rows).toEqual(["failed check-submit.accepted", "failed check-long-poll.wakes-promptly", "skipped check-tenant.job-not-found", "passed check-submit.location"]);
    expect(html).toContain('<a href="#check-submit.accepted">submit.accepted</a> (MUST)');
    expect(html).toContain("curl -i -X POST &#39;http://127.0.0.1:8080/v1/jobs&#39; -H &#39;authorization: Bearer ****&#39;");
    expect(html).toContain("suite 0.1.0 · protocol 1.0 · MUST checks: 2 ran, 1 passed, 1 skipped");
  });

  it("pretty: a curl line reproduces each failure's first request, secrets masked; versions and MUST counts", () => {
    const text = createPrettyReporter(() => {}).render(sampleReport());
    expect(text).toContain(`reproduce: curl -i -X POST 'http://127.0.0.1:8080/v1/jobs' -H 'authorization: Bearer ****' -H 'content-type: application/json' --data-raw '{"type":"conformance.echo","input":{}}'`);
    expect(text.split("\n")[0]).toBe("async-jobs conformance 0.1.0 (protocol 1.0): http://127.0.0.1:8080");
    expect(text).toContain("MUST checks: 2 ran, 1 passed, 1 skipped");
  });

  it("pretty: grouped by section, plain without a TTY, verdict last", () => {
    const pretty = createPrettyReporter(() => {});
    const text = pretty.render(sampleReport());
    expect(text).not.toContain("\u001b[");
    const lines = text.trim().split("\n");
    expect(lines.at(-1)).toBe("FAIL: a MUST does not hold");
    expect(text.indexOf("\nsubmit\n")).toBeLessThan(text.indexOf("\nlong-poll\n"));
    expect(text).toContain("✗ submit.accepted");
    expect(text).toContain("[§2 Submit, MUST]");
    expect(text).toContain("< 200 (12 ms)");
    expect(text).toContain("skipped: no second tenant");
    const coloured = createPrettyReporter(() => {}, { color: true }).render(sampleReport());
    expect(coloured).toContain("\u001b[31m");
  });

  it("pretty: live progress rewrites one line while checks run", () => {
    const chunks: string[] = [];
    const pretty = createPrettyReporter((c) => chunks.push(c), { live: true });
    const check = catalog[0]!;
    pretty.onProgress({ type: "start", checks: [check] });
    pretty.onProgress({ type: "check-start", check });
    pretty.onProgress({ type: "check-end", result: { ...sampleReport().results[1]!, id: check.id } });
    pretty.onProgress({ type: "end", report: sampleReport() });
    expect(chunks.slice(0, 3).every((c) => c.startsWith("\r\u001b[2K"))).toBe(true);
    expect(chunks[2]).toContain("[1/1]");
    expect(chunks.at(-1)).toContain("FAIL");
  });

  it("--list prints every check once", () => {
    const text = formatCatalog(catalog);
    expect(text.trim().split("\n")).toHaveLength(catalog.length);
  });
});
