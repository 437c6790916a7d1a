/**
 * One printed figure of `bench/server.ts`. Every section returns these; a figure with a bare
 * counterpart (a bare fastify handler on the same machine, in the same run) carries it and the
 * ratio, since absolute figures move with the machine and ratios do not (issue 14).
 */
export interface BenchRow {
  /** What was measured, e.g. "status reads/s, SQLite". */
  figure: string;
  value: number;
  /** "req/s", "jobs/s", "ms", "MB", "MB/s". */
  unit: string;
  /** The bare counterpart's figure, in the same unit. */
  bare?: number;
  /** value / bare. */
  ratio?: number;
  /** The goal, as text ("≥ 0.65× bare GET"). */
  goal: string;
}

/** A row with its ratio to `bare` filled in. */
export function againstBare(row: Omit<BenchRow, "bare" | "ratio">, bare: number): BenchRow {
  return { ...row, bare, ratio: row.value / bare };
}

const number = (n: number, unit: string) =>
  unit === "ms" ? n.toFixed(1) : n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1);

/**
 * The rows as an aligned text table, ratios beside their bare counterparts.
 *
 * @example
 * console.log(formatRows([{ figure: "status reads/s", value: 9000, unit: "req/s", bare: 20000, ratio: 0.45, goal: "≥ 0.65×" }]));
 */
export function formatRows(rows: readonly BenchRow[]): string {
  const header = ["figure", "value", "bare", "ratio", "goal"];
  const cells = rows.map((r) => [
    r.figure,
    `${number(r.value, r.unit)} ${r.unit}`,
    r.bare === undefined ? "-" : `${number(r.bare, r.unit)} ${r.unit}`,
    r.ratio === undefined ? "-" : r.ratio.toFixed(2),
    r.goal,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [header, ...cells].map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join("  ")).join("\n");
}

/** The `p`th percentile of ascending `sorted`. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
