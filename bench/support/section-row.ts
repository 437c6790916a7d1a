import type { BenchRow } from "../server/bench-row.ts";

/** One figure of a bench section: the row every `bench/server.ts` section returns. */
export type SectionRow = BenchRow;

/** Prints a section's rows as a table (a section module run on its own). */
export function printRows(rows: readonly SectionRow[]): void {
  const format = (n: number) => (Math.abs(n) < 10 ? n.toFixed(2) : Math.round(n).toLocaleString("en-US"));
  const cells = rows.map((r) => [
    r.figure,
    `${format(r.value)} ${r.unit}`.trim(),
    r.bare === undefined ? "-" : format(r.bare),
    r.ratio === undefined ? "-" : `${r.ratio.toFixed(2)}×`,
    r.goal,
  ]);
  const header = ["figure", "value", "bare", "ratio", "goal"];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  for (const row of [header, ...cells]) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join("  "));
}
