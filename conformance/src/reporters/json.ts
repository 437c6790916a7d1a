import type { ConformanceReport } from "../run-conformance.ts";

/**
 * The report as JSON (stable field names; evidence already masked).
 *
 * @example
 * writeFileSync("report.json", renderJson(report));
 */
export function renderJson(report: ConformanceReport): string {
  return `${JSON.stringify({ tool: "async-jobs-conformance", ...report }, null, 2)}\n`;
}
