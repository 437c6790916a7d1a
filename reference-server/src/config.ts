import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { parsePublicUrl, parseTrustProxy } from "./http/public-url.ts";
import { DEFAULT_WEBHOOK_SCHEDULE_MS } from "./webhooks/webhook-deliverer.ts";

/** What the CLI runs. */
export type Command = "serve" | "worker" | "migrate";

/** The server's whole configuration; the only place that reads flags and environment variables. */
export interface ServerConfig {
  command: Command;
  /** 0 picks a free port. @default 8080 */
  port: number;
  /** @default "127.0.0.1" */
  host: string;
  /** `sqlite:<path>` or `postgres://…`. @default "sqlite:./data/jobs.db" */
  store: string;
  /** Where the local-disk blob store keeps upload parts and outputs. @default "./data/blobs" */
  blobDir: string;
  /** Bearer token → tenant (`--tokens token:tenant,…`). */
  tokens: Map<string, string>;
  /** True when no token was configured and a dev token was generated. */
  generatedToken: boolean;
  /** Signing secrets for every tenant without its own, newest first. */
  webhookSecrets: string[];
  /** Per-tenant signing secrets (`--webhook-secret tenant:whsec_…`). */
  tenantWebhookSecrets: Map<string, string[]>;
  /** True when no secret was configured and one was generated. */
  generatedWebhookSecret: boolean;
  /** Delays before each webhook attempt. @default 0,5s,5m,30m,2h,5h,10h,10h */
  webhookScheduleMs: number[];
  /** @default false */
  allowPrivateWebhooks: boolean;
  /** @default 3600 */
  partUrlTtlS: number;
  /** @default 5242880 */
  minPartSize: number;
  /** @default 30000 */
  leaseTimeoutMs: number;
  /** @default 16 */
  workerConcurrency: number;
  /** @default 1048576 */
  bodyLimit: number;
  /** First retry delay of a retryably failed job. @default 500 */
  retryBaseMs: number;
  /** SIGTERM grace: running jobs get this long to finish before they are given back. @default 10000 */
  drainGraceMs: number;
  /** Run the in-process worker with `serve`. @default true */
  worker: boolean;
  /** @default false */
  log: boolean;
  /** The origin clients use (behind a proxy); signed URLs are built from it. @default the request's origin */
  publicUrl?: string | undefined;
  /** Proxy addresses/CIDRs whose `X-Forwarded-*` is believed. @default none */
  trustProxy?: string | undefined;
}

const OPTIONS = {
  port: { type: "string" },
  host: { type: "string" },
  store: { type: "string" },
  "blob-dir": { type: "string" },
  tokens: { type: "string" },
  "webhook-secret": { type: "string" },
  "webhook-schedule-ms": { type: "string" },
  "allow-private-webhooks": { type: "boolean" },
  "part-url-ttl-s": { type: "string" },
  "min-part-size": { type: "string" },
  "lease-timeout-ms": { type: "string" },
  "worker-concurrency": { type: "string" },
  "body-limit": { type: "string" },
  "retry-base-ms": { type: "string" },
  "drain-grace-ms": { type: "string" },
  "no-worker": { type: "boolean" },
  log: { type: "boolean" },
  "public-url": { type: "string" },
  "trust-proxy": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Usage text of the CLI. */
export const USAGE = `Usage: async-jobs-server <serve|worker|migrate> [options]

  serve     the API and an in-process worker
  worker    a worker only (several processes share one store)
  migrate   create or upgrade the store's schema, then exit

Options (each also an env var: --blob-dir → ASYNC_JOBS_BLOB_DIR):
  --port N                      0 picks a free port (default 8080)
  --host H                      default 127.0.0.1
  --store URL                   sqlite:./data/jobs.db (default) or postgres://…
  --blob-dir DIR                default ./data/blobs
  --tokens token:tenant,…       bearer tokens; without, a dev token is generated and printed
  --webhook-secret whsec_…[,…]  signing secrets, newest first; tenant:whsec_… for one tenant
  --webhook-schedule-ms 0,50,…  delays before each delivery attempt
  --allow-private-webhooks      accept webhook URLs on private/loopback addresses (dev, tests)
  --part-url-ttl-s N            lifetime of signed part URLs (default 3600)
  --min-part-size BYTES         smallest part but the last (default 5242880)
  --lease-timeout-ms N          a job whose worker stops heartbeating is retried after this (default 30000)
  --worker-concurrency N        jobs run at once per worker (default 16)
  --body-limit BYTES            largest JSON body (default 1048576)
  --retry-base-ms N             first backoff after a retryable failure (default 500)
  --drain-grace-ms N            SIGTERM: time for running jobs to finish (default 10000)
  --no-worker                   serve the API without the in-process worker
  --log                         request logs on stderr
  --public-url URL              origin clients use (https://jobs.example.com); part and download URLs use it
  --trust-proxy ADDR[,CIDR…]    believe X-Forwarded-* only from these proxy addresses
`;

/** A configuration error; the CLI prints it with the usage. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

function integer(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined || value === "") return fallback;
  if (!/^\d+$/.test(value.trim())) throw new ConfigError(`--${name} must be a non-negative integer, got "${value}"`);
  const n = Number(value);
  if (n < min) throw new ConfigError(`--${name} must be at least ${min}`);
  return n;
}

function optional<T>(value: string | undefined, parse: (value: string) => T): T | undefined {
  if (value === undefined || value === "") return undefined;
  try {
    return parse(value);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/** A fresh `whsec_` secret: 32 random bytes (spec §3 allows 24 to 64). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/**
 * Reads the configuration from argv (without node and script) and the environment: a flag wins
 * over `ASYNC_JOBS_<FLAG>`; defaults fill the rest.
 *
 * @example
 * const config = loadConfig(["serve", "--port", "0"], process.env);
 */
export function loadConfig(argv: readonly string[], env: Record<string, string | undefined> = {}): ServerConfig & { help: boolean } {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const command = (positionals[0] ?? "serve") as Command;
  if (!["serve", "worker", "migrate"].includes(command)) throw new ConfigError(`unknown command "${command}"`);
  if (positionals.length > 1) throw new ConfigError(`unexpected argument "${positionals[1]}"`);

  const get = (name: keyof typeof OPTIONS): string | undefined => {
    const value = values[name];
    if (typeof value === "string") return value;
    return env[`ASYNC_JOBS_${name.toUpperCase().replace(/-/g, "_")}`];
  };
  const flag = (name: keyof typeof OPTIONS): boolean => {
    if (values[name] === true) return true;
    const value = env[`ASYNC_JOBS_${name.toUpperCase().replace(/-/g, "_")}`];
    return value === "1" || value === "true";
  };

  const tokens = new Map<string, string>();
  for (const entry of (get("tokens") ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    const at = entry.lastIndexOf(":");
    if (at <= 0 || at === entry.length - 1) throw new ConfigError(`--tokens entries are token:tenant, got "${entry}"`);
    tokens.set(entry.slice(0, at), entry.slice(at + 1));
  }
  const generatedToken = tokens.size === 0;
  if (generatedToken) tokens.set(`dev_${randomBytes(18).toString("base64url")}`, "dev");

  const webhookSecrets: string[] = [];
  const tenantWebhookSecrets = new Map<string, string[]>();
  for (const entry of (get("webhook-secret") ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    const at = entry.indexOf(":");
    const [tenant, secret] = at > 0 ? [entry.slice(0, at), entry.slice(at + 1)] : [undefined, entry];
    if (!/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(secret)) throw new ConfigError(`--webhook-secret entries are [tenant:]whsec_<base64>`);
    const bytes = Buffer.from(secret.slice(6), "base64").length;
    if (bytes < 24 || bytes > 64) throw new ConfigError(`a webhook secret must hold 24 to 64 bytes, got ${bytes}`);
    if (tenant === undefined) webhookSecrets.push(secret);
    else tenantWebhookSecrets.set(tenant, [...(tenantWebhookSecrets.get(tenant) ?? []), secret]);
  }
  const generatedWebhookSecret = webhookSecrets.length === 0;
  if (generatedWebhookSecret) webhookSecrets.push(generateWebhookSecret());

  const schedule = get("webhook-schedule-ms");
  const webhookScheduleMs = schedule
    ? schedule.split(",").map((s) => integer("webhook-schedule-ms", s.trim(), 0))
    : [...DEFAULT_WEBHOOK_SCHEDULE_MS];
  if (webhookScheduleMs.length === 0) throw new ConfigError("--webhook-schedule-ms needs at least one delay");

  const store = get("store") ?? "sqlite:./data/jobs.db";
  if (!store.startsWith("sqlite:") && !/^postgres(ql)?:\/\//.test(store)) {
    throw new ConfigError(`--store must be sqlite:<path> or postgres://…, got "${store}"`);
  }

  return {
    command,
    help: values.help === true,
    port: integer("port", get("port"), 8080),
    host: get("host") ?? "127.0.0.1",
    store,
    blobDir: get("blob-dir") ?? "./data/blobs",
    tokens,
    generatedToken,
    webhookSecrets,
    tenantWebhookSecrets,
    generatedWebhookSecret,
    webhookScheduleMs,
    allowPrivateWebhooks: flag("allow-private-webhooks"),
    partUrlTtlS: integer("part-url-ttl-s", get("part-url-ttl-s"), 3600, 1),
    minPartSize: integer("min-part-size", get("min-part-size"), 5 * 1024 * 1024, 1),
    leaseTimeoutMs: integer("lease-timeout-ms", get("lease-timeout-ms"), 30_000, 50),
    workerConcurrency: integer("worker-concurrency", get("worker-concurrency"), 16, 1),
    bodyLimit: integer("body-limit", get("body-limit"), 1024 * 1024, 1),
    retryBaseMs: integer("retry-base-ms", get("retry-base-ms"), 500),
    drainGraceMs: integer("drain-grace-ms", get("drain-grace-ms"), 10_000),
    worker: !flag("no-worker"),
    log: flag("log"),
    publicUrl: optional(get("public-url"), parsePublicUrl),
    trustProxy: optional(get("trust-proxy"), parseTrustProxy),
  };
}
