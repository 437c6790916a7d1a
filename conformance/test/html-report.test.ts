import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderHtml } from "../src/reporters/html.ts";
import { findChromium, missingTool } from "../../test/helpers/find-tools.ts";
import { sampleReport } from "./support/sample-report.ts";

// CHROMIUM_PATH, Playwright's own, or the system's; missing: a loud skip locally, a failure in CI.
const CHROMIUM = await findChromium();
const skipReason = CHROMIUM ? undefined : missingTool("Chromium (the HTML report test)", "set CHROMIUM_PATH, run npx playwright install chromium, or apt-get install chromium");

describe.skipIf(skipReason !== undefined)("the HTML report in headless Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
  });

  it("renders offline, filters the table, shows evidence, and screenshots as expected", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.setContent(renderHtml(sampleReport()), { waitUntil: "load" });

    // Self-contained: nothing fetched, no script error, hostile text not executed.
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    expect(await page.title()).toContain("async-jobs conformance");
    expect(await page.locator("#verdict").innerText()).toBe("FAIL: 1 MUST check failed");
    expect(await page.locator("#count").innerText()).toBe("4 of 4 checks");

    await page.fill("#q", "tenant");
    expect(await page.locator("#count").innerText()).toBe("1 of 4 checks");
    expect(await page.locator("tbody tr:visible").count()).toBe(1);
    await page.fill("#q", "");
    await page.selectOption("#outcome", "failed");
    expect(await page.locator("tbody tr:visible").count()).toBe(2);
    await page.selectOption("#level", "MUST");
    expect(await page.locator("tbody tr:visible").count()).toBe(1);
    await page.selectOption("#level", "");
    await page.selectOption("#outcome", "");

    // Failures first, linked from the banner; the page fits its width even with long evidence.
    expect(await page.locator("tbody tr").first().getAttribute("class")).toBe("failed");
    await page.locator("#failures a").first().click();
    expect(await page.evaluate(() => location.hash)).toBe("#check-submit.accepted");
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    await page.locator("tr.failed details summary").first().click();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    await page.locator("tr.failed details summary").first().click();

    const evidence = page.locator("tr.failed details").first();
    expect(await evidence.locator(".ex").isVisible()).toBe(false);
    await evidence.locator("summary").click();
    expect(await evidence.locator(".ex").isVisible()).toBe(true);
    expect(await evidence.locator(".ex").innerText()).toContain("<script>alert(1)</script>");

    const png = await page.screenshot({ fullPage: true });
    const out = join(mkdtempSync(join(tmpdir(), "conformance-html-")), "report.png");
    writeFileSync(out, png);
    console.log(`[conformance] HTML report screenshot: ${out}`);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.readUInt32BE(16)).toBe(1280);

    // Read the screenshot's pixels back in the browser: the red FAIL banner, the green and
    // amber badges are drawn, and the page is not blank.
    const stats = await page.evaluate(async (dataUrl) => {
      const img = new Image();
      img.src = dataUrl;
      await img.decode();
      const canvas = document.createElement("canvas");
      canvas.width = img.width;
      canvas.height = img.height;
      const g = canvas.getContext("2d")!;
      g.drawImage(img, 0, 0);
      const { data } = g.getImageData(0, 0, img.width, img.height);
      const near = (r: number, gr: number, b: number, i: number) => Math.abs(data[i]! - r) < 12 && Math.abs(data[i + 1]! - gr) < 12 && Math.abs(data[i + 2]! - b) < 12;
      let red = 0, green = 0, amber = 0;
      const colours = new Set<number>();
      for (let i = 0; i < data.length; i += 4) {
        if (near(0xcf, 0x22, 0x2e, i)) red++;
        if (near(0x1a, 0x7f, 0x37, i)) green++;
        if (near(0x9a, 0x67, 0x00, i)) amber++;
        colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
      }
      return { red, green, amber, colours: colours.size, height: img.height };
    }, `data:image/png;base64,${png.toString("base64")}`);
    expect(stats.red).toBeGreaterThan(200);
    expect(stats.green).toBeGreaterThan(50);
    expect(stats.amber).toBeGreaterThan(50);
    expect(stats.colours).toBeGreaterThan(50);
    expect(stats.height).toBeGreaterThanOrEqual(900);
    await page.close();
  }, 30_000);
});
