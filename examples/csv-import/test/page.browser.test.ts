import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startExample } from "../src/start-example.ts";

// The example end to end in headless Chromium (the system's /usr/bin/chromium): a person picks
// a multi-megabyte CSV, watches the upload and the import progress, and sees the result.
const CHROMIUM = "/usr/bin/chromium";
const ROWS = 300_000; // about 10 MB: more than one 8 MiB part
const BROKEN = [50_000, 100_000, 150_000, 200_000, 250_000, 300_000];

describe("the CSV import page in headless Chromium", () => {
  let browser: Browser;
  let example: Awaited<ReturnType<typeof startExample>>;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "csv-import-example-"));
    example = await startExample({ port: 0, dataDir: dir });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await example?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("uploads a multi-MB CSV in parts, shows both progress bars and the import's result", async () => {
    const lines = ["email,name,amount"];
    for (let i = 1; i <= ROWS; i++) lines.push(BROKEN.includes(i) ? `broken-${i},Name ${i},1.00` : `user${i}@example.com,Name ${i},1.00`);
    const file = join(dir, "customers.csv");
    writeFileSync(file, `${lines.join("\n")}\n`);

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const partPuts: string[] = [];
    page.on("request", (r) => r.method() === "PUT" && partPuts.push(new URL(r.url()).pathname));
    // The job bar moves through values before 100 (progress by bytes, reported row by row).
    await page.goto(example.url);
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { jobBarValues: number[] }).jobBarValues = seen;
      const bar = document.getElementById("job-progress") as HTMLProgressElement;
      new MutationObserver(() => seen.push(bar.value)).observe(bar, { attributes: true });
      setInterval(() => seen.push(bar.value), 5);
    });
    await page.setInputFiles("#file", file);
    await page.waitForFunction(() => /Imported|failed|Error/.test(document.getElementById("status")!.textContent ?? ""), undefined, { timeout: 90_000 });

    expect(await page.textContent("#status")).toBe(`Imported ${ROWS - BROKEN.length} of ${ROWS} rows.`);
    expect(await page.$eval("#upload-progress", (e) => (e as HTMLProgressElement).value)).toBe(100);
    expect(await page.$eval("#job-progress", (e) => (e as HTMLProgressElement).value)).toBe(100);
    const result = JSON.parse((await page.textContent("#result"))!) as { rows: number; rejected: number; total_amount: string; errors: { row: number }[] };
    expect(result).toMatchObject({ rows: ROWS, rejected: BROKEN.length, total_amount: `${ROWS - BROKEN.length}.00` });
    expect(result.errors.map((e) => e.row)).toEqual(BROKEN.map((i) => i + 1)); // record 1 is the header
    // A multi-MB file goes up in several parts, to the part URLs under the plugin's prefix.
    expect(partPuts.length).toBeGreaterThanOrEqual(2);
    expect(partPuts.every((p) => p.startsWith("/api/v1/uploads/"))).toBe(true);
    const seen = await page.evaluate(() => (window as unknown as { jobBarValues: number[] }).jobBarValues);
    expect(seen.some((v) => v > 0 && v < 100)).toBe(true);
    expect(errors).toEqual([]);
  }, 120_000);
});
