import { existsSync, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { catalog } from "./checks/index.ts";
import { createPrettyReporter, formatCatalog } from "./reporters/pretty.ts";
import { renderHtml } from "./reporters/html.ts";
import { renderJson } from "./reporters/json.ts";
import { renderJunit } from "./reporters/junit.ts";
import { type ConformanceOptions, ConformanceSetupError, runConformance } from "./run-conformance.ts";
import { selectChecks, unmatchedPatterns } from "./select-checks.ts";

export const USAGE = `Usage: async-jobs-conformance --base-url URL --token TOKEN [options]

Checks that a server speaks the async-jobs protocol (docs/spec.md §1-5).

  --base-url URL              the server under test (required)
  --token TOKEN               a tenant's bearer token (required)
  --other-token TOKEN         a second tenant's token (isolation checks)
  --webhook-secret whsec_…    the tenant's webhook secret (signature checks)
  --webhook-listen HOST:PORT  where the suite's webhook receiver listens (default 127.0.0.1:0)
  --webhook-public-url URL    where the server reaches the receiver (default the listen address)
  --only GLOB[,GLOB]          run only matching check ids (repeatable)
  --skip GLOB[,GLOB]          do not run matching check ids (repeatable)
  --level must|should         must: MUST checks only; should (default): both
  --strict                    also fail (exit 1) when a MUST check was skipped
  --private-webhooks refused  the server refuses webhook URLs on loopback, private,
                                link-local and metadata addresses (a production config):
                                check that it does (422 invalid_webhook_url)
  --lease-timeout-s N         the server's lease timeout (lost-lease checks)
  --part-url-ttl-s N          the server's part-URL lifetime (expiry checks)
  --webhook-retry-wait-s N    how long one webhook retry may take (retry checks)
  --rate-limit N/Ws           the server's per-tenant submit rate, e.g. 5/1s (rate-limit check;
                                the check uses it up, so it runs last, alone)
  --timeout-scale X           multiply every timeout and wait (default 1)
  --concurrency N             checks run at once (default 8)
  --reporter NAME             pretty (default), json, junit or html; repeatable,
  --out FILE                    each followed by its --out (default stdout)
  --list                      print the catalog and exit
  -h, --help                  this text

Exit: 0 every selected MUST passed, 1 a MUST failed (or, with --strict, was skipped),
2 usage error (also: --only/--skip matching no check, --out into a missing directory),
unreachable server, or a base URL where every route is 404.
`;

const REPORTERS = ["pretty", "json", "junit", "html"] as const;
type ReporterName = (typeof REPORTERS)[number];

/** Usage errors: exit 2. */
class UsageError extends Error {}

function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a non-negative number, got "${value}"`);
  return n;
}

/** The parsed command line. */
export interface CliArgs {
  options: Omit<ConformanceOptions, "onProgress">;
  reporters: { name: ReporterName; out: string | undefined }[];
  list: boolean;
  help: boolean;
  /** A skipped MUST check fails the run. */
  strict: boolean;
}

/**
 * Parses argv (without node and the script).
 *
 * @example
 * parseCliArgs(["--base-url", "http://127.0.0.1:8080", "--token", "t", "--reporter", "junit", "--out", "j.xml"])
 */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      tokens: true,
      options: {
        "base-url": { type: "string" },
        token: { type: "string" },
        "other-token": { type: "string" },
        "webhook-secret": { type: "string" },
        "webhook-listen": { type: "string" },
        "webhook-public-url": { type: "string" },
        only: { type: "string", multiple: true },
        skip: { type: "string", multiple: true },
        level: { type: "string" },
        strict: { type: "boolean" },
        "private-webhooks": { type: "string" },
        "lease-timeout-s": { type: "string" },
        "part-url-ttl-s": { type: "string" },
        "webhook-retry-wait-s": { type: "string" },
        "rate-limit": { type: "string" },
        "timeout-scale": { type: "string" },
        concurrency: { type: "string" },
        reporter: { type: "string", multiple: true },
        out: { type: "string", multiple: true },
        list: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const v = parsed.values;
  // Each --out belongs to the --reporter before it.
  const reporters: CliArgs["reporters"] = [];
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== "option") continue;
    if (token.name === "reporter") {
      if (!REPORTERS.includes(token.value as ReporterName)) throw new UsageError(`--reporter must be one of ${REPORTERS.join(", ")}, got "${token.value}"`);
      reporters.push({ name: token.value as ReporterName, out: undefined });
    } else if (token.name === "out") {
      const last = reporters.at(-1);
      if (!last || last.out !== undefined) throw new UsageError("--out must follow its --reporter");
      last.out = token.value;
    }
  }
  if (reporters.length === 0) reporters.push({ name: "pretty", out: undefined });
  if (reporters.filter((r) => r.out === undefined).length > 1) throw new UsageError("only one reporter can write to stdout; give the others --out");
  if (v.level !== undefined && v.level !== "must" && v.level !== "should") throw new UsageError(`--level must be must or should, got "${v.level}"`);
  const privateWebhooks = v["private-webhooks"];
  if (privateWebhooks !== undefined && privateWebhooks !== "refused" && privateWebhooks !== "allowed") {
    throw new UsageError(`--private-webhooks must be refused or allowed, got "${privateWebhooks}"`);
  }
  // Checked before the run, so a long run never ends in a stack trace for a typo'd path.
  for (const { out } of reporters) {
    if (out === undefined) continue;
    const dir = dirname(resolve(out));
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--out ${out}: directory ${dir} does not exist`);
  }
  const unmatched = unmatchedPatterns(catalog, { only: v.only, skip: v.skip });
  if (unmatched.length > 0) {
    throw new UsageError(`${unmatched.map((u) => `--${u.option} ${u.pattern}`).join(", ")} matches no check id (see --list)`);
  }
  const help = v.help === true;
  const list = v.list === true;
  if (!help && !list) {
    if (!v["base-url"]) throw new UsageError("--base-url is required");
    if (!v.token) throw new UsageError("--token is required");
  }
  const scale = positive("timeout-scale", v["timeout-scale"]);
  if (scale === 0) throw new UsageError("--timeout-scale must be positive");
  const rate = v["rate-limit"] === undefined ? undefined : /^\s*(\d+)\s*\/\s*(\d*)\s*s\s*$/.exec(v["rate-limit"]);
  if (rate === null || (rate && (Number(rate[1]) < 1 || rate[2] === "0"))) throw new UsageError(`--rate-limit is N/Ws (e.g. 5/1s), got "${v["rate-limit"]}"`);
  return {
    help,
    list,
    strict: v.strict === true,
    reporters,
    options: {
      baseUrl: v["base-url"] ?? "",
      token: v.token ?? "",
      otherToken: v["other-token"],
      webhookSecret: v["webhook-secret"],
      webhookListen: v["webhook-listen"],
      webhookPublicUrl: v["webhook-public-url"],
      only: v.only,
      skip: v.skip,
      level: v.level as "must" | "should" | undefined,
      privateWebhooks: privateWebhooks as "refused" | "allowed" | undefined,
      leaseTimeoutS: positive("lease-timeout-s", v["lease-timeout-s"]),
      partUrlTtlS: positive("part-url-ttl-s", v["part-url-ttl-s"]),
      webhookRetryWaitS: positive("webhook-retry-wait-s", v["webhook-retry-wait-s"]),
      rateLimit: rate ? { limit: Number(rate[1]), windowS: Number(rate[2] || 1) } : undefined,
      timeoutScale: scale,
      concurrency: positive("concurrency", v.concurrency),
    },
  };
}

export interface CliIo {
  stdout: (chunk: string) => void;
  stderr: (chunk: string) => void;
  isTTY?: boolean;
  signal?: AbortSignal;
}

/**
 * Runs the CLI and resolves to its exit code (0 pass, 1 a MUST failed, 2 usage or unreachable).
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2), { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (error) {
    io.stderr(`async-jobs-conformance: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    io.stdout(USAGE);
    return 0;
  }
  if (args.list) {
    io.stdout(formatCatalog(selectChecks(catalog, args.options)));
    return 0;
  }
  const stdoutReporter = args.reporters.find((r) => r.out === undefined);
  const pretty = createPrettyReporter(stdoutReporter?.name === "pretty" ? io.stdout : () => {}, { color: io.isTTY, live: io.isTTY });
  let report;
  try {
    report = await runConformance({ ...args.options, signal: io.signal, onProgress: stdoutReporter?.name === "pretty" ? (e) => pretty.onProgress(e) : undefined });
  } catch (error) {
    if (error instanceof ConformanceSetupError) {
      io.stderr(`async-jobs-conformance: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  for (const r of args.reporters) {
    const text =
      r.name === "json" ? renderJson(report) : r.name === "junit" ? renderJunit(report) : r.name === "html" ? renderHtml(report) : r.out ? pretty.render(report) : undefined;
    if (text === undefined) continue;
    if (r.out) writeFileSync(r.out, text);
    else io.stdout(text);
  }
  if (report.summary.total === 0) {
    io.stderr("async-jobs-conformance: no check ran (the selection is empty)\n");
    return 2;
  }
  if (args.strict && report.summary.must.skipped > 0) {
    const skipped = report.results.filter((r) => r.level === "MUST" && r.outcome === "skipped");
    io.stderr(`async-jobs-conformance: --strict: ${skipped.length} MUST check(s) skipped: ${skipped.map((r) => `${r.id} (${r.message})`).join("; ")}\n`);
    return 1;
  }
  return report.ok ? 0 : 1;
}
