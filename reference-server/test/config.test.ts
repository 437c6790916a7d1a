import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defaultServerConfig, formatDefault, loadConfig, SERVER_OPTIONS, USAGE } from "../src/config.ts";

const docs = readFileSync(new URL("../../docs/server.md", import.meta.url), "utf8");
const docRows = docs.split("\n").filter((line) => line.startsWith("| `--"));

describe("defaultServerConfig is the one source of the server's defaults", () => {
  it.each(SERVER_OPTIONS.map((o) => [o.flag, o] as const))("--%s: USAGE and docs/server.md show its default", (flag, option) => {
    const value = "key" in option ? defaultServerConfig[option.key] : undefined;
    const usageLine = USAGE.split("\n").find((line) => line.startsWith(`  --${flag} `) || line === `  --${flag}`);
    const docRow = docRows.find((row) => row.startsWith(`| \`--${flag} `) || row.startsWith(`| \`--${flag}\``));
    expect(usageLine, `USAGE lists --${flag}`).toBeDefined();
    expect(docRow, `docs/server.md lists --${flag}`).toBeDefined();
    if (value !== undefined && value !== false) expect(usageLine).toContain(`(default ${formatDefault(value)})`);
    if (value !== undefined) expect(docRow).toContain(`\`${formatDefault(value)}\``);
  });

  it("docs/server.md lists no flag the CLI does not have", () => {
    const flags = new Set<string>(SERVER_OPTIONS.map((o) => o.flag));
    for (const row of docRows) expect(flags.has(/^\| `--([a-z-]+)/.exec(row)![1]!), row).toBe(true);
  });

  it("loadConfig without flags gives exactly the defaults", () => {
    const config = loadConfig(["serve"], {});
    for (const option of SERVER_OPTIONS) {
      if ("key" in option) expect(config[option.key], option.flag).toEqual(defaultServerConfig[option.key]);
    }
    expect(config.worker).toBe(defaultServerConfig.worker);
  });

  it("a flag beats its environment variable, which beats the default", () => {
    expect(loadConfig(["serve"], { ASYNC_JOBS_PART_URL_TTL_S: "60" }).partUrlTtlS).toBe(60);
    expect(loadConfig(["serve", "--part-url-ttl-s", "7"], { ASYNC_JOBS_PART_URL_TTL_S: "60" }).partUrlTtlS).toBe(7);
    expect(() => loadConfig(["serve", "--part-url-ttl-s", "0"])).toThrow(/at least 1/);
  });
});
