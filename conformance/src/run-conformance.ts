import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import { type Check, type CheckContext, CheckFailure, CheckSkip, type CheckSettings, type Level, type Need, SetupFailure } from "./check.ts";
import { catalog } from "./checks/index.ts";
import { createHttpRecorder, NetworkFailure, type RecordedExchange } from "./http-recorder.ts";
import { selectChecks, type Selection } from "./select-checks.ts";
import { DeliveryTimeout, startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.ts";

/** Everything `runConformance` and the CLI accept. */
export interface ConformanceOptions extends Selection {
  /** The server under test, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** Bearer token of a tenant. */
  token: string;
  /** A second tenant's token, for isolation checks (skipped without it). */
  otherToken?: string;
  /** The tenant's `whsec_…` secret, to verify webhook signatures (skipped without it). */
  webhookSecret?: string;
  /** Where the receiver listens, `host:port`. @default "127.0.0.1:0" */
  webhookListen?: string;
  /** Where the server reaches the receiver. @default the listen address */
  webhookPublicUrl?: string;
  /** The server's lease timeout in seconds (lost-lease checks skipped without it). */
  leaseTimeoutS?: number;
  /** The server's part-URL lifetime in seconds (expiry checks skipped without it). */
  partUrlTtlS?: number;
  /** How long one webhook retry may take in seconds (retry checks skipped without it). */
  webhookRetryWaitS?: number;
  /** The server's per-tenant submit rate, `limit` per `windowS` seconds (rate-limit checks skipped without it). */
  rateLimit?: { limit: number; windowS: number };
  /** Multiplies every timeout and wait. @default 1 */
  timeoutScale?: number;
  /** Whether the server refuses private webhook URLs (production) or allows them (dev); unknown skips the check. */
  privateWebhooks?: "refused" | "allowed" | undefined;
  /** Checks run at once. @default 8 */
  concurrency?: number;
  /** The checks to choose from. @default the full catalog */
  checks?: readonly Check[];
  /** Live progress (the pretty reporter uses it). */
  onProgress?: (event: ProgressEvent) => void;
  /** Stops the run. */
  signal?: AbortSignal;
  /** Injected fetch (tests). */
  fetch?: typeof fetch;
}

export type Outcome = "passed" | "failed" | "skipped";

/** A delivery the receiver got while a check ran, for evidence. */
export interface DeliveryEvidence {
  readonly receivedAt: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly answered: number;
}

export interface CheckResult {
  readonly id: string;
  readonly section: string;
  readonly clause: string;
  readonly level: Level;
  readonly title: string;
  readonly outcome: Outcome;
  /** Why it failed, or why it was skipped. */
  readonly message: string | undefined;
  readonly durationMs: number;
  readonly notes: readonly string[];
  /** Requests and answers that prove a failure (masked). Empty unless failed. */
  readonly evidence: readonly RecordedExchange[];
  /** The failure is in a step before the clause under test (a blocked check), not in the clause. */
  readonly setupFailed?: boolean;
}

/** The protocol version these checks read (docs/spec.md, openapi.yaml `info.version` 1.1.x). */
export const PROTOCOL_VERSION = "1.2";

/** This suite's version (its package.json). */
export const SUITE_VERSION: string = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

export interface ConformanceSummary {
  readonly total: number;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly mustFailed: number;
  readonly shouldFailed: number;
  /** Failed checks blocked by a setup step (counted in `failed`). */
  readonly setupFailed: number;
  /** MUST checks: how many ran (passed or failed), passed, and were skipped. */
  readonly must: { readonly ran: number; readonly passed: number; readonly skipped: number };
}

export interface ConformanceReport {
  readonly suiteVersion: string;
  readonly protocolVersion: string;
  readonly baseUrl: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly results: readonly CheckResult[];
  readonly summary: ConformanceSummary;
  /** True when every selected MUST check passed (or was skipped). */
  readonly ok: boolean;
}

export type ProgressEvent =
  | { type: "start"; checks: readonly Check[] }
  | { type: "check-start"; check: Check }
  | { type: "check-end"; result: CheckResult }
  | { type: "end"; report: ConformanceReport };

/**
 * Bad options, or a server that cannot be reached or refuses the token: CLI exit 2.
 *
 * @example
 * try { await runConformance(options) } catch (e) { if (e instanceof ConformanceSetupError) process.exitCode = 2 }
 */
export class ConformanceSetupError extends Error {
  override readonly name = "ConformanceSetupError";
}

const MAX_LEASE_WAIT_S = 30;
const MAX_URL_TTL_WAIT_S = 30;
const MAX_RETRY_WAIT_S = 60;
const MAX_RATE_LIMIT = 200;

function sectionOf(id: string): string {
  return id.split(".")[0] ?? id;
}

/** Resolves after `ms`, or rejects with the signal's reason (the check's timeout) first. */
function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch((error: unknown) => {
    throw signal.aborted ? signal.reason : error;
  });
}

async function probe(options: ConformanceOptions, signal: AbortSignal, scale: number): Promise<string[]> {
  const http = createHttpRecorder({ baseUrl: options.baseUrl, token: options.token, secrets: [], signal, timeoutScale: scale, fetch: options.fetch });
  let health;
  try {
    health = await http.request("GET", "/healthz", { token: null, timeoutMs: 5_000 });
  } catch (error) {
    throw new ConformanceSetupError(`server unreachable at ${options.baseUrl}: ${(error as Error).message}`);
  }
  const res = await http.request("GET", "/v1/job-types", { timeoutMs: 5_000 }).catch((error: Error) => {
    throw new ConformanceSetupError(`server unreachable at ${options.baseUrl}: ${error.message}`);
  });
  // Every route 404: something answers, but not this protocol at this path (a wrong prefix).
  if (health.status === 404 && res.status === 404) {
    const jobs = await http.request("GET", "/v1/jobs?limit=1", { timeoutMs: 5_000 }).catch(() => undefined);
    if (jobs?.status === 404) {
      throw new ConformanceSetupError(
        `every route answers 404 at ${options.baseUrl} (GET /healthz, /v1/job-types, /v1/jobs): is --base-url right? It is the URL that /v1/jobs hangs off, with any path prefix and without /v1`,
      );
    }
  }
  if (res.status === 401) throw new ConformanceSetupError("the server refused --token (401)");
  if (options.otherToken) {
    const other = await http.request("GET", "/v1/job-types", { token: options.otherToken, timeoutMs: 5_000 });
    if (other.status === 401) throw new ConformanceSetupError("the server refused --other-token (401)");
  }
  const data = (res.body as { data?: { type?: unknown }[] } | undefined)?.data;
  return Array.isArray(data) ? data.map((t) => String(t?.type)) : [];
}

function missingNeed(need: Need, settings: CheckSettings, receiver: WebhookReceiver | undefined): string | undefined {
  switch (need) {
    case "echo":
      return settings.jobTypes.includes("conformance.echo") ? undefined : "the server has no conformance.echo job type (spec §2 SHOULD)";
    case "checksum":
      return settings.jobTypes.includes("file.checksum") ? undefined : "the server has no file.checksum job type";
    case "gzip":
      return settings.jobTypes.includes("file.gzip") ? undefined : "the server has no file.gzip job type";
    case "other-token":
      return settings.otherToken ? undefined : "no second tenant (pass --other-token)";
    case "webhook":
      return receiver ? undefined : "the webhook receiver is not running";
    case "webhook-secret":
      return settings.webhookSecret ? undefined : "no webhook secret (pass --webhook-secret)";
    case "webhook-retry":
      if (settings.webhookRetryWaitS === undefined) return "webhook retry timing unknown (pass --webhook-retry-wait-s)";
      return settings.webhookRetryWaitS > MAX_RETRY_WAIT_S ? `a webhook retry wait of ${settings.webhookRetryWaitS} s is too long to wait for (limit ${MAX_RETRY_WAIT_S} s)` : undefined;
    case "lease":
      if (settings.leaseTimeoutS === undefined) return "lease timeout unknown (pass --lease-timeout-s)";
      return settings.leaseTimeoutS > MAX_LEASE_WAIT_S ? `a lease timeout of ${settings.leaseTimeoutS} s is too long to wait for (limit ${MAX_LEASE_WAIT_S} s)` : undefined;
    case "rate-limit":
      if (settings.rateLimit === undefined) return "the server's rate limit unknown (pass --rate-limit N/Ws)";
      return settings.rateLimit.limit > MAX_RATE_LIMIT ? `a rate limit of ${settings.rateLimit.limit} submits is too many to exceed (limit ${MAX_RATE_LIMIT})` : undefined;
    case "private-webhooks-refused":
      return settings.privateWebhooks === "refused" ? undefined : "the run was not told the server refuses private webhook URLs (pass --private-webhooks refused)";
    case "part-url-ttl":
      if (settings.partUrlTtlS === undefined) return "part-URL lifetime unknown (pass --part-url-ttl-s)";
      return settings.partUrlTtlS > MAX_URL_TTL_WAIT_S ? `a part-URL lifetime of ${settings.partUrlTtlS} s is too long to wait for (limit ${MAX_URL_TTL_WAIT_S} s)` : undefined;
  }
}

/**
 * Runs the conformance catalog (or a selection of it) against a server and returns the report.
 * Never throws for a failing server; throws `ConformanceSetupError` for bad options or an
 * unreachable server.
 *
 * @example
 * const report = await runConformance({ baseUrl: "http://127.0.0.1:8080", token: "t1", level: "must" });
 * if (!report.ok) process.exitCode = 1;
 */
export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  if (!options.baseUrl || !/^https?:\/\//.test(options.baseUrl)) throw new ConformanceSetupError("--base-url must be an http(s) URL");
  if (!options.token) throw new ConformanceSetupError("--token is required");
  const scale = options.timeoutScale ?? 1;
  if (!(scale > 0)) throw new ConformanceSetupError("--timeout-scale must be a positive number");
  const runController = new AbortController();
  const runSignal = options.signal ? AbortSignal.any([options.signal, runController.signal]) : runController.signal;
  const startedAt = new Date();
  const selected = selectChecks(options.checks ?? catalog, options);
  const jobTypes = await probe(options, runSignal, scale);
  const settings: CheckSettings = {
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    token: options.token,
    otherToken: options.otherToken,
    webhookSecret: options.webhookSecret,
    leaseTimeoutS: options.leaseTimeoutS,
    partUrlTtlS: options.partUrlTtlS,
    webhookRetryWaitS: options.webhookRetryWaitS,
    rateLimit: options.rateLimit,
    timeoutScale: scale,
    privateWebhooks: options.privateWebhooks,
    jobTypes,
  };
  const secrets = [options.token, options.otherToken, options.webhookSecret].filter((s): s is string => !!s);
  let receiver: WebhookReceiver | undefined;
  if (selected.some((c) => c.needs.includes("webhook"))) {
    try {
      receiver = await startWebhookReceiver({ listen: options.webhookListen, publicUrl: options.webhookPublicUrl });
    } catch (error) {
      throw new ConformanceSetupError(`cannot start the webhook receiver: ${(error as Error).message}`);
    }
  }
  options.onProgress?.({ type: "start", checks: selected });
  const fixtures = new Map<string, Promise<unknown>>();
  const fixtureContext = makeContext(settings, receiver, runSignal, fixtures, [], secrets, options.fetch);
  const results = new Map<string, CheckResult>();

  async function runOne(check: Check): Promise<CheckResult> {
    const controller = new AbortController();
    const signal = AbortSignal.any([runSignal, controller.signal]);
    const notes: string[] = [];
    const ctx = makeContext(settings, receiver, signal, fixtures, notes, secrets, options.fetch, fixtureContext);
    const started = performance.now();
    const base = { id: check.id, section: sectionOf(check.id), clause: check.clause, level: check.level, title: check.title, notes };
    const missing = check.needs.map((n) => missingNeed(n, settings, receiver)).find((m) => m !== undefined);
    if (missing) return { ...base, outcome: "skipped", message: missing, durationMs: 0, evidence: [] };
    const budget = Math.round((check.timeoutMs ?? 15_000) * scale);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort(new Error("check timed out"));
        reject(new CheckFailure(`no verdict within ${budget} ms (the server hung or is too slow; see --timeout-scale)`));
      }, budget);
    });
    let outcome: Outcome = "passed";
    let message: string | undefined;
    let evidence: RecordedExchange[] = [];
    let setupFailed = false;
    try {
      await Promise.race([check.run(ctx), timedOut]);
    } catch (error) {
      if (error instanceof CheckSkip) {
        outcome = "skipped";
        message = error.message;
      } else {
        outcome = "failed";
        const exchanges = ctx.http.exchanges;
        if (error instanceof CheckFailure) {
          message = error.message;
          setupFailed = error instanceof SetupFailure;
          evidence = [...(error.evidence ?? [])];
        } else if (error instanceof NetworkFailure) {
          message = `no HTTP answer: ${error.message}`;
          evidence = [error.exchange];
        } else if (error instanceof DeliveryTimeout) {
          message = error.message;
        } else {
          message = `unexpected error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
        }
        // The exchanges that prove the failure first, then the last few for context.
        for (const e of exchanges.slice(-6)) if (!evidence.includes(e)) evidence.push(e);
      }
    } finally {
      clearTimeout(timer);
      controller.abort(new Error("check finished"));
    }
    return { ...base, outcome, message, durationMs: Math.round(performance.now() - started), evidence, ...(setupFailed ? { setupFailed } : {}) };
  }

  const runAll = async (checks: Check[], concurrency: number) => {
    // Long checks start first so they overlap with the many short ones.
    const queue = [...checks].sort((a, b) => (b.timeoutMs ?? 15_000) - (a.timeoutMs ?? 15_000));
    const workers = Array.from({ length: Math.max(1, Math.min(concurrency, queue.length)) }, async () => {
      for (let check = queue.shift(); check; check = queue.shift()) {
        options.onProgress?.({ type: "check-start", check });
        const result = await runOne(check);
        results.set(check.id, result);
        options.onProgress?.({ type: "check-end", result });
      }
    });
    await Promise.all(workers);
  };
  try {
    await runAll(selected.filter((c) => !c.exclusive), options.concurrency ?? 8);
    // Exclusive checks last and one at a time: a quota they use up cannot fail another check.
    await runAll(selected.filter((c) => c.exclusive), 1);
  } finally {
    runController.abort(new Error("run finished"));
    await receiver?.close();
  }
  const ordered = selected.map((c) => results.get(c.id)!);
  const summary: ConformanceSummary = {
    total: ordered.length,
    passed: ordered.filter((r) => r.outcome === "passed").length,
    failed: ordered.filter((r) => r.outcome === "failed").length,
    skipped: ordered.filter((r) => r.outcome === "skipped").length,
    mustFailed: ordered.filter((r) => r.outcome === "failed" && r.level === "MUST").length,
    shouldFailed: ordered.filter((r) => r.outcome === "failed" && r.level === "SHOULD").length,
    setupFailed: ordered.filter((r) => r.setupFailed).length,
    must: {
      ran: ordered.filter((r) => r.level === "MUST" && r.outcome !== "skipped").length,
      passed: ordered.filter((r) => r.level === "MUST" && r.outcome === "passed").length,
      skipped: ordered.filter((r) => r.level === "MUST" && r.outcome === "skipped").length,
    },
  };
  const report: ConformanceReport = {
    suiteVersion: SUITE_VERSION,
    protocolVersion: PROTOCOL_VERSION,
    baseUrl: settings.baseUrl,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    results: ordered,
    summary,
    ok: summary.mustFailed === 0,
  };
  options.onProgress?.({ type: "end", report });
  return report;
}

function makeContext(
  settings: CheckSettings,
  receiver: WebhookReceiver | undefined,
  signal: AbortSignal,
  fixtures: Map<string, Promise<unknown>>,
  notes: string[],
  secrets: readonly string[],
  fetchImpl: typeof fetch | undefined,
  fixtureContext?: CheckContext,
): CheckContext {
  const http = createHttpRecorder({ baseUrl: settings.baseUrl, token: settings.token, secrets, signal, timeoutScale: settings.timeoutScale, fetch: fetchImpl });
  const ctx: CheckContext = {
    settings,
    http,
    receiver,
    signal,
    sleep: (ms, opts) => abortableSleep(opts?.unscaled ? ms : Math.round(ms * settings.timeoutScale), signal),
    scaled: (ms) => Math.round(ms * settings.timeoutScale),
    fixture<T>(key: string, create: (c: CheckContext) => Promise<T>): Promise<T> {
      let p = fixtures.get(key) as Promise<T> | undefined;
      if (!p) {
        // A fixture outlives the check that first asked for it, so it runs on the run's signal.
        p = create(fixtureContext ?? ctx);
        p.catch(() => {});
        fixtures.set(key, p);
      }
      // The check's own signal still bounds how long it waits.
      return Promise.race([
        p,
        new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true })),
      ]);
    },
    note: (m) => notes.push(m),
    unique: (prefix) => `${prefix}-${randomUUID()}`,
  };
  return ctx;
}
