import { describe, expect, it } from "vitest";
import { csvImport } from "../src/csv-import.ts";
import { parseCsv } from "../src/parse-csv.ts";

const bytes = (...chunks: string[]) =>
  (async function* () {
    for (const chunk of chunks) yield new TextEncoder().encode(chunk);
  })();

async function records(...chunks: string[]) {
  const out: string[][] = [];
  for await (const { fields } of parseCsv(bytes(...chunks))) out.push(fields);
  return out;
}

describe("parseCsv", () => {
  it("reads quoted fields, escaped quotes, newlines in quotes, CRLF and records split across chunks", async () => {
    expect(await records('a,"b,1","say ""hi"""\r\nx,"multi\nline",', 'z\n\nlast,row')).toEqual([
      ["a", "b,1", 'say "hi"'],
      ["x", "multi\nline", "z"],
      ["last", "row"],
    ]);
    expect(await records("é,ü\n")).toEqual([["é", "ü"]]);
  });
});

/** Runs the job type's real `run` over a CSV text, as the worker would. */
function runImport(csv: string[], signal = new AbortController().signal, onProgress?: (percent: number) => void) {
  const size = csv.reduce((n, c) => n + new TextEncoder().encode(c).length, 0);
  return csvImport.run({
    jobId: "job_1",
    tenant: "t",
    input: { upload_id: "upl_1", max_errors: 10 },
    attempt: 1,
    maxAttempts: 1,
    signal,
    uploads: { open: async (id) => (id === "upl_1" ? { id, filename: "a.csv", contentType: "text/csv", size, read: () => bytes(...csv) } : undefined) },
    reportProgress: async (percent) => onProgress?.(percent),
    abandon: () => {},
    trace: null,
  });
}

describe("csv.import", () => {
  it("counts valid and rejected rows, sums the amounts, reports the first row errors", async () => {
    const result = await runImport(["Email,Name,Amount\n", "a@x.io,Ann,10.50\n", "not-an-email,Bob,1\n", "c@x.io,Cy,-0.25\n", "d@x.io,,3\n", "e@x.io,Ed\n"]);
    expect(result).toEqual({
      rows: 5,
      imported: 2,
      rejected: 3,
      total_amount: "10.25",
      columns: ["email", "name", "amount"],
      errors: [
        { row: 3, message: 'email "not-an-email" is not an email address' },
        { row: 5, message: "name is empty" },
        { row: 6, message: "has 2 fields, the header 3" },
      ],
    });
  });

  it("fails invalid_csv when the header lacks a column", async () => {
    await expect(runImport(["email,name\n", "a@x.io,Ann\n"])).rejects.toMatchObject({ code: "invalid_csv" });
  });

  it("stops between rows once its signal aborts (cancel)", async () => {
    const controller = new AbortController();
    const chunks = ["email,name,amount\n", ...Array.from({ length: 100 }, (_, i) => `u${i}@x.io,U${i},1\n`)];
    let reports = 0;
    const outcome = runImport(chunks, controller.signal, () => {
      reports++;
      if (reports === 3) controller.abort("canceled");
    });
    await expect(outcome).rejects.toBe("canceled");
    expect(reports).toBe(3); // no row after the abort was read
  });
});
