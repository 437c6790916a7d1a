import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";
import { findChromium, missingTool } from "./test/helpers/find-tools.ts";
import { SlowestFirstSequencer } from "./test/helpers/slowest-first-sequencer.ts";

// Tests resolve workspace packages to their TypeScript sources, never to a stale dist/.
// Not "module": the AWS SDK's dist-es behind it is for bundlers (extensionless imports Node cannot load).
export const sourceConditions = ["async-jobs-source", ...defaultServerConditions.filter((c) => c !== "module")];

// Without a Chromium the browser project is left out, saying so (a failure in CI).
const chromium = await findChromium();
if (!chromium) missingTool("Chromium (the uploads browser test)", "set CHROMIUM_PATH, run npx playwright install chromium, or apt-get install chromium");

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
  test: {
    // vitest's default is one worker fewer than the cores: ONE on CI's 2 cores, so files ran one
    // after another while most of them wait on child processes (servers, npm, tsup). Two workers,
    // longest files first, keep both cores busy to the end. An environment variable, not
    // --maxWorkers, to compare: the sdk project inherits this value, the CLI flag does not reach it.
    maxWorkers: Number(process.env.VITEST_MAX_WORKERS) || 2,
    sequence: { sequencer: SlowestFirstSequencer },
    projects: [
      {
        extends: true,
        test: { name: "sdk", include: ["test/**/*.test.ts"], testTimeout: 20_000 },
      },
      "reference-server",
      "conformance",
      ...(chromium ? ["vitest.browser.config.ts"] : []),
    ],
  },
});
