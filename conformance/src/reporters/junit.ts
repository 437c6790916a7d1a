import { curlCommand } from "./curl.ts";
import type { ConformanceReport } from "../run-conformance.ts";
import { formatExchange } from "./pretty.ts";

/**
 * Escapes text for XML attributes and content, dropping characters XML 1.0 forbids.
 *
 * @example
 * escapeXml('a < "b"') // "a &lt; &quot;b&quot;"
 */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "\uFFFD")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/**
 * JUnit XML for CI systems: one testsuite per section, one testcase per check. A failed SHOULD
 * is reported as a failure too (CI can filter on the `[SHOULD]` prefix of its message).
 *
 * @example
 * writeFileSync("junit.xml", renderJunit(report));
 */
export function renderJunit(report: ConformanceReport): string {
  const sections = new Map<string, typeof report.results>();
  for (const r of report.results) sections.set(r.section, [...(sections.get(r.section) ?? []), r]);
  const s = report.summary;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="async-jobs-conformance" tests="${s.total}" failures="${s.failed}" skipped="${s.skipped}" time="${(report.durationMs / 1000).toFixed(3)}">`,
  ];
  for (const [section, results] of sections) {
    const failures = results.filter((r) => r.outcome === "failed").length;
    const skipped = results.filter((r) => r.outcome === "skipped").length;
    const time = results.reduce((t, r) => t + r.durationMs, 0) / 1000;
    out.push(`  <testsuite name="${escapeXml(section)}" tests="${results.length}" failures="${failures}" skipped="${skipped}" time="${time.toFixed(3)}">`);
    for (const r of results) {
      out.push(`    <testcase classname="async-jobs.${escapeXml(section)}" name="${escapeXml(`${r.id}: ${r.title}`)}" time="${(r.durationMs / 1000).toFixed(3)}">`);
      if (r.outcome === "failed") {
        const evidence = r.evidence.flatMap(formatExchange).join("\n");
        out.push(`      <failure message="${escapeXml(`[${r.level}] ${r.message ?? ""}`)}" type="${escapeXml(r.clause)}">${escapeXml(`${r.clause} (${r.level})\n${r.message ?? ""}\n${r.evidence[0] ? `reproduce: ${curlCommand(r.evidence[0])}\n` : ""}\n${evidence}`)}</failure>`);
      } else if (r.outcome === "skipped") {
        out.push(`      <skipped message="${escapeXml(r.message ?? "")}"/>`);
      }
      out.push("    </testcase>");
    }
    out.push("  </testsuite>");
  }
  out.push("</testsuites>");
  return `${out.join("\n")}\n`;
}
