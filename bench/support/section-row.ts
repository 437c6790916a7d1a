/** One figure of a bench section, beside its bare counterpart (what the same load does without the server's work). */
export interface SectionRow {
  figure: string;
  value: number;
  unit: string;
  /** The bare counterpart's value, in the same unit. */
  bare?: number;
  /** value / bare. */
  ratio?: number;
  goal: string;
}

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
