import { playwright } from "@vitest/browser-playwright";
import { defaultClientConditions } from "vite";
import { defineConfig } from "vitest/config";
import { findChromium } from "./test/helpers/find-tools.ts";

// The uploads browser test: headless Chromium (CHROMIUM_PATH, Playwright's own or the system's,
// see test/helpers/find-tools.ts; no download)
// uploads a File against the real reference server, which test/uploads/browser/global-setup.ts
// starts. Run alone: npx vitest run --config vitest.browser.config.ts
export default defineConfig({
  resolve: { conditions: ["async-jobs-source", ...defaultClientConditions] },
  test: {
    name: "browser",
    include: ["test/**/*.browser.ts"],
    globalSetup: ["test/uploads/browser/global-setup.ts", "test/tokens/browser/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 90_000,
    browser: {
      enabled: true,
      headless: true,
      provider: playwright({
        launchOptions: {
          executablePath: (await findChromium()) ?? "/usr/bin/chromium",
          args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        },
      }),
      instances: [{ browser: "chromium" }],
    },
  },
});
