import { defineJobType, JobFailure } from "async-jobs-server";
import * as z from "zod";
import { parseCsv } from "./parse-csv.ts";

/** The columns an import file must have, in any order. */
export const REQUIRED_COLUMNS = ["email", "name", "amount"] as const;

/** Checks one data row; the message says what is wrong, undefined when the row is fine. */
function rowError(row: Record<string, string>): string | undefined {
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(row.email ?? "")) return `email "${row.email}" is not an email address`;
  if ((row.name ?? "").trim() === "") return "name is empty";
  if (!/^-?\d+(\.\d{1,2})?$/.test(row.amount ?? "")) return `amount "${row.amount}" is not a number with at most 2 decimals`;
  return undefined;
}

/**
 * `csv.import`: parses an uploaded CSV row by row (memory stays flat), with progress by bytes,
 * checks every row, honours cancel between rows, and answers the row counts, the total amount
 * of the valid rows and the first row errors.
 *
 * @example
 * await client.jobs.submitAndWait({ type: "csv.import", input: { upload_id: upload.id } })
 */
export const csvImport = defineJobType({
  type: "csv.import",
  description: "Imports an uploaded CSV (email,name,amount): counts valid and rejected rows, reports the first row errors.",
  input: z.object({
    upload_id: z.string().min(1),
    max_errors: z.number().int().min(0).max(100).default(10),
  }),
  result: z.object({
    rows: z.number().int().min(0),
    imported: z.number().int().min(0),
    rejected: z.number().int().min(0),
    total_amount: z.string(),
    columns: z.array(z.string()),
    errors: z.array(z.object({ row: z.number().int().min(1), message: z.string() })),
  }),
  timeoutMs: 10 * 60_000,
  maxAttempts: 2,
  async run({ input, uploads, signal, reportProgress }) {
    const upload = await uploads.open(input.upload_id);
    if (!upload) throw new JobFailure({ code: "upload_not_found", detail: `No completed upload ${input.upload_id}.` });
    let columns: string[] | undefined;
    let rows = 0;
    let imported = 0;
    let cents = 0n;
    const errors: { row: number; message: string }[] = [];
    let lastPercent = -1;
    for await (const { record, fields, bytesRead } of parseCsv(upload.read())) {
      // Cancel (or a timeout) takes effect between rows: the job ends canceled, nothing half-done.
      signal.throwIfAborted();
      if (!columns) {
        columns = fields.map((f) => f.trim().toLowerCase());
        const missing = REQUIRED_COLUMNS.filter((c) => !columns!.includes(c));
        if (missing.length > 0) throw new JobFailure({ code: "invalid_csv", detail: `The header lacks ${missing.join(", ")}.` });
        continue;
      }
      rows++;
      const message =
        fields.length !== columns.length
          ? `has ${fields.length} fields, the header ${columns.length}`
          : rowError(Object.fromEntries(columns.map((c, i) => [c, fields[i]!])));
      if (message) {
        if (errors.length < input.max_errors) errors.push({ row: record, message });
      } else {
        imported++;
        const [whole, decimals = ""] = fields[columns.indexOf("amount")]!.split(".");
        cents += BigInt(whole!) * 100n + (whole!.startsWith("-") ? -1n : 1n) * BigInt(decimals.padEnd(2, "0"));
      }
      const percent = Math.floor((100 * bytesRead) / Math.max(1, upload.size));
      if (percent > lastPercent) {
        lastPercent = percent;
        await reportProgress(percent, `${rows} rows`);
      }
    }
    if (!columns) throw new JobFailure({ code: "invalid_csv", detail: "The file is empty." });
    const sign = cents < 0n ? "-" : "";
    const abs = cents < 0n ? -cents : cents;
    return {
      rows,
      imported,
      rejected: rows - imported,
      total_amount: `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, "0")}`,
      columns,
      errors,
    };
  },
});

export default [csvImport];
