import type { Check } from "../check.ts";
import type { RecordedExchange } from "../http-recorder.ts";
import type { CheckResult, ConformanceReport, ProgressEvent } from "../run-conformance.ts";
import { curlCommand } from "./curl.ts";

export interface PrettyOptions {
  /** ANSI colours. @default false */
  color?: boolean;
  /** Rewrites one live progress line (a TTY). @default false */
  live?: boolean;
}

const paint = (on: boolean, code: string) => (s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

/**
 * Renders one exchange as indented text lines (shared by the text reporters).
 *
 * @example
 * formatExchange(result.evidence[0]).join("\n")
 */
export function formatExchange(e: RecordedExchange): string[] {
  const lines = [`${e.method} ${e.url}`];
  for (const [k, v] of Object.entries(e.requestHeaders)) lines.push(`  > ${k}: ${v}`);
  if (e.requestBody) lines.push(`  > ${e.requestBody.slice(0, 300).replace(/\n/g, "\n    ")}`);
  if (e.error) lines.push(`  ! ${e.error}`);
  if (e.status !== undefined) {
    lines.push(`  < ${e.status} (${e.durationMs} ms)`);
    for (const [k, v] of Object.entries(e.responseHeaders)) lines.push(`  < ${k}: ${v}`);
    if (e.responseBody) lines.push(`  < ${e.responseBody.slice(0, 600).replace(/\n/g, "\n    ")}`);
  }
  return lines;
}

/**
 * The terminal reporter: a live progress line while checks run, then results grouped by section.
 *
 * @example
 * const pretty = createPrettyReporter((s) => process.stdout.write(s), { color: process.stdout.isTTY, live: process.stdout.isTTY });
 * await runConformance({ ...options, onProgress: pretty.onProgress });
 */
export function createPrettyReporter(write: (chunk: string) => void, options: PrettyOptions = {}) {
  const color = options.color ?? false;
  const green = paint(color, "32");
  const red = paint(color, "31");
  const yellow = paint(color, "33");
  const dim = paint(color, "2");
  const bold = paint(color, "1");
  let total = 0;
  let done = 0;
  let failed = 0;
  const running = new Set<string>();

  const progressLine = () => {
    if (!options.live) return;
    const current = [...running].slice(0, 2).join(", ");
    write(`\r\u001b[2K${dim(`[${done}/${total}]`)} ${failed ? red(`${failed} failed `) : ""}${dim(current)}`);
  };

  function formatResult(r: CheckResult): string[] {
    const mark = r.outcome === "passed" ? green("✓") : r.outcome === "skipped" ? yellow("-") : red("✗");
    const level = r.level === "SHOULD" ? dim(" (SHOULD)") : "";
    const lines = [`  ${mark} ${r.id}${level} ${dim(`${r.durationMs} ms`)}`];
    if (r.outcome === "skipped") lines.push(`      ${yellow(`skipped: ${r.message}`)}`);
    if (r.outcome === "failed") {
      lines.push(`      ${r.title}`);
      lines.push(`      ${red(r.message ?? "failed")}  ${dim(`[${r.clause}, ${r.level}]`)}`);
      if (r.evidence[0]) lines.push(`      reproduce: ${curlCommand(r.evidence[0])}`);
      for (const e of r.evidence) for (const l of formatExchange(e)) lines.push(`        ${dim(l)}`);
    }
    for (const n of r.notes) lines.push(`      ${dim(`note: ${n}`)}`);
    return lines;
  }

  return {
    onProgress(event: ProgressEvent) {
      if (event.type === "start") {
        total = event.checks.length;
        progressLine();
      } else if (event.type === "check-start") {
        running.add(event.check.id);
        progressLine();
      } else if (event.type === "check-end") {
        running.delete(event.result.id);
        done++;
        if (event.result.outcome === "failed") failed++;
        progressLine();
      } else {
        if (options.live) write("\r\u001b[2K");
        write(this.render(event.report));
      }
    },
    /** The whole report as text. */
    render(report: ConformanceReport): string {
      const out: string[] = [bold(`async-jobs conformance ${report.suiteVersion} (protocol ${report.protocolVersion}): ${report.baseUrl}`), ""];
      const sections = new Map<string, CheckResult[]>();
      for (const r of report.results) sections.set(r.section, [...(sections.get(r.section) ?? []), r]);
      for (const [section, results] of sections) {
        out.push(bold(section));
        for (const r of results) out.push(...formatResult(r));
        out.push("");
      }
      const s = report.summary;
      out.push(
        `${s.passed} passed, ${s.failed ? red(`${s.failed} failed`) : "0 failed"} (${s.mustFailed} MUST, ${s.shouldFailed} SHOULD), ${s.skipped} skipped, ${s.total} checks in ${(report.durationMs / 1000).toFixed(1)} s`,
      );
      const skippedMust = s.must.skipped ? yellow(`${s.must.skipped} skipped`) : "0 skipped";
      out.push(`MUST checks: ${s.must.ran} ran, ${s.must.passed} passed, ${skippedMust}${s.setupFailed ? `; ${red(`${s.setupFailed} blocked by a failed setup step`)}` : ""}`);
      out.push(report.ok ? green(bold("PASS: every selected MUST holds")) : red(bold("FAIL: a MUST does not hold")));
      return `${out.join("\n")}\n`;
    },
  };
}

/**
 * The catalog as a text table (`--list`).
 *
 * @example
 * process.stdout.write(formatCatalog(catalog));
 */
export function formatCatalog(checks: readonly Check[]): string {
  const width = Math.max(...checks.map((c) => c.id.length));
  return `${checks
    .map((c) => `${c.id.padEnd(width)}  ${c.level.padEnd(6)}  ${c.clause}  ${c.title}${c.needs.length ? `  [needs: ${c.needs.join(", ")}]` : ""}`)
    .join("\n")}\n`;
}
