import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { parseS3Location } from "./blobs/s3-location.ts";
import { parsePublicUrl, parseTrustProxy } from "./http/public-url.ts";

/** What the CLI runs. */
export type Command = "serve" | "worker" | "migrate" | "webhook-secret";

/** The server's whole configuration (defaults: {@link defaultServerConfig}); the only place that reads flags and environment variables. */
export interface ServerConfig {
  command: Command;
  /** The tenant whose webhook secret `webhook-secret` prints. */
  secretTenant?: string;
  /** 0 picks a free port. */
  port: number;
  host: string;
  /** `sqlite:<path>` or `postgres://…`. */
  store: string;
  /** Where the local-disk blob store keeps upload parts and outputs. */
  blobDir: string;
  /** `s3://bucket/prefix?endpoint=…&region=…&forcePathStyle=true`: uploads and outputs in S3 instead of `blobDir`. */
  blobs?: string;
  /** Bearer token → tenant (`--tokens token:tenant,…`). */
  tokens: Map<string, string>;
  /** True when no token was configured and a dev token was generated. */
  generatedToken: boolean;
  /**
   * Signing secrets shared by every tenant without its own, newest first (`--webhook-secret
   * whsec_…`; several tenants need `--shared-webhook-secret`). Empty: each tenant gets its own,
   * derived from the deployment's key in the store.
   */
  webhookSecrets: string[];
  /** Per-tenant signing secrets (`--webhook-secret tenant:whsec_…`). */
  tenantWebhookSecrets: Map<string, string[]>;
  /** True when no shared secret was configured: tenants without their own get derived ones. */
  generatedWebhookSecret: boolean;
  /** Delays before each webhook attempt. */
  webhookScheduleMs: number[];
  allowPrivateWebhooks: boolean;
  partUrlTtlS: number;
  minPartSize: number;
  leaseTimeoutMs: number;
  workerConcurrency: number;
  bodyLimit: number;
  /** First retry delay of a retryably failed job. */
  retryBaseMs: number;
  /** SIGTERM grace: running jobs get this long to finish before they are given back. */
  drainGraceMs: number;
  /** Most running jobs of one tenant at once; 0 for no limit (claim fairness). */
  maxRunningPerTenant: number;
  /** How often the retention sweep runs; 0 turns it off. */
  retentionSweepMs: number;
  /** Completed uploads (and their bytes) are deleted this long after completion. */
  uploadRetentionMs: number;
  /** Run the in-process worker with `serve`. */
  worker: boolean;
  /** Serve Prometheus metrics at `GET /metrics` (docs/metrics.md). */
  metrics: boolean;
  log: boolean;
  /** Deepest JSON nesting a body may have (spec §1); deeper is `400 invalid_request`. */
  maxJsonDepth: number;
  /** Time for a request's headers to arrive. */
  headersTimeoutMs: number;
  /** Time for a request's whole body to arrive (part PUTs: the grace before the rate guard). */
  requestTimeoutMs: number;
  /** A connection with no traffic for this long is closed (above the 20 s long-poll cap). */
  connectionTimeoutMs: number;
  /** Slowest average a part PUT body may arrive at, bytes per second, once `requestTimeoutMs` passed. */
  partMinBytesPerS: number;
  /** Long polls held at once by the whole process; past it a `Prefer: wait` is answered at once. */
  maxHeldWaits: number;
  /** Long polls held at once per tenant. */
  maxHeldWaitsPerTenant: number;
  /** Submits per tenant per window (`--submit-rate N/Ws`); off by default. */
  submitRate?: { limit: number; windowS: number };
  /** Queued jobs per tenant before submits are `503`; off by default. */
  maxQueuedPerTenant?: number;
  /** Queued jobs of all tenants before submits are `503`; off by default. */
  maxQueued?: number;
  /** Job-types modules to load (`--job-types ./jobs.ts`, repeatable); each default-exports an array or record of job types. */
  jobTypeModules: string[];
  /** Register the `conformance.*` job types (`--no-conformance-types` leaves them out). */
  conformanceTypes: boolean;
  /** The origin clients use (behind a proxy); signed URLs are built from it. @default the request's origin */
  publicUrl?: string | undefined;
  /** Proxy addresses/CIDRs whose `X-Forwarded-*` is believed. @default none */
  trustProxy?: string | undefined;
}

/**
 * Every default of the server, in one place: the CLI's `USAGE`, docs/server.md's option table
 * (kept honest by a test) and the services' own fallbacks all read it.
 *
 * @example
 * const ttl = options.partUrlTtlS ?? defaultServerConfig.partUrlTtlS;
 */
export const defaultServerConfig = {
  port: 8080,
  host: "127.0.0.1",
  store: "sqlite:./data/jobs.db",
  blobDir: "./data/blobs",
  /** The reference retry schedule (spec §3): 0, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
  webhookScheduleMs: [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000] as readonly number[],
  allowPrivateWebhooks: false,
  partUrlTtlS: 3600,
  minPartSize: 5 * 1024 * 1024,
  leaseTimeoutMs: 30_000,
  workerConcurrency: 16,
  bodyLimit: 1024 * 1024,
  retryBaseMs: 500,
  drainGraceMs: 10_000,
  worker: true,
  metrics: false,
  log: false,
  maxJsonDepth: 64,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  connectionTimeoutMs: 60_000,
  partMinBytesPerS: 16_384,
  maxHeldWaits: 1000,
  maxHeldWaitsPerTenant: 100,
  maxRunningPerTenant: 0,
  retentionSweepMs: 60_000,
  uploadRetentionMs: 7 * 86_400_000,
  // Not flags: values the protocol fixes or suggests (spec §2, §4), read by the services.
  /** Largest `Prefer: wait` honoured, seconds. */
  maxWaitS: 20,
  /** `Retry-After` of submits and of reads while a job runs, seconds. */
  retryAfterS: 1,
  /** How long idempotency keys are kept (at least 24 h). */
  idempotencyTtlMs: 86_400_000,
  /** `max_attempts` of a job that does not say. */
  defaultMaxAttempts: 3,
  /** Page size of a listing that does not say. */
  listLimit: 20,
  /** Lifetime of a signed download URL (and of the output behind it), seconds. */
  downloadUrlTtlS: 86_400,
  /** A pending upload expires this long after it is created. */
  uploadTtlMs: 86_400_000,
  /** Aborted and expired uploads are forgotten this long after their expiry. */
  retainEndedUploadsMs: 7 * 86_400_000,
} as const;

/** The kinds of value a flag takes; `custom` ones are parsed by hand in {@link loadConfig}. */
type OptionKind = "integer" | "string" | "boolean" | "custom";

/** One CLI flag: how it parses, what it sets, and its line in `USAGE`. */
interface ServerOption {
  flag: string;
  kind: OptionKind;
  /** The config field whose default `USAGE` and docs/server.md show. */
  key?: keyof typeof defaultServerConfig;
  /** Placeholder of the value in `USAGE`. */
  arg?: string;
  /** Smallest accepted integer. @default 0 */
  min?: number;
  help: string;
}

/** Every flag of the CLI, in `USAGE` order. */
export const SERVER_OPTIONS = [
  { flag: "port", kind: "integer", key: "port", arg: "N", help: "0 picks a free port" },
  { flag: "host", kind: "string", key: "host", arg: "H", help: "interface to listen on" },
  { flag: "store", kind: "string", key: "store", arg: "URL", help: "sqlite:<path> or postgres://…" },
  { flag: "blob-dir", kind: "string", key: "blobDir", arg: "DIR", help: "where upload parts and outputs are kept" },
  { flag: "blobs", kind: "custom", arg: "s3://bucket/prefix?…", help: "uploads and outputs in S3 instead (docs/object-storage.md)" },
  { flag: "tokens", kind: "custom", arg: "token:tenant,…", help: "bearer tokens; without, a dev token is generated and printed" },
  { flag: "webhook-secret", kind: "custom", arg: "[tenant:]whsec_…,…", help: "signing secrets, newest first; tenant:whsec_… for one tenant; without, each tenant's is derived from a key kept in the store" },
  { flag: "shared-webhook-secret", kind: "boolean", help: "allow one secret shared by several tenants (each can then forge events to the others' receivers)" },
  { flag: "webhook-schedule-ms", kind: "custom", key: "webhookScheduleMs", arg: "0,50,…", help: "delays before each delivery attempt" },
  { flag: "allow-private-webhooks", kind: "boolean", key: "allowPrivateWebhooks", help: "accept webhook URLs on private/loopback addresses (dev, tests; every delivering process, workers too)" },
  { flag: "part-url-ttl-s", kind: "integer", key: "partUrlTtlS", arg: "N", min: 1, help: "lifetime of signed part URLs" },
  { flag: "min-part-size", kind: "integer", key: "minPartSize", arg: "BYTES", min: 1, help: "smallest part but the last" },
  { flag: "lease-timeout-ms", kind: "integer", key: "leaseTimeoutMs", arg: "N", min: 50, help: "a job whose worker stops heartbeating is retried after this" },
  { flag: "worker-concurrency", kind: "integer", key: "workerConcurrency", arg: "N", min: 1, help: "jobs run at once per worker" },
  { flag: "body-limit", kind: "integer", key: "bodyLimit", arg: "BYTES", min: 1, help: "largest JSON body" },
  { flag: "retry-base-ms", kind: "integer", key: "retryBaseMs", arg: "N", help: "first backoff after a retryable failure" },
  { flag: "drain-grace-ms", kind: "integer", key: "drainGraceMs", arg: "N", help: "SIGTERM: time for running jobs to finish" },
  { flag: "max-json-depth", kind: "integer", key: "maxJsonDepth", arg: "N", min: 1, help: "deepest JSON nesting of a body" },
  { flag: "headers-timeout-ms", kind: "integer", key: "headersTimeoutMs", arg: "N", min: 1, help: "time for a request's headers to arrive" },
  { flag: "request-timeout-ms", kind: "integer", key: "requestTimeoutMs", arg: "N", min: 1, help: "time for a request body (not a part) to arrive" },
  { flag: "connection-timeout-ms", kind: "integer", key: "connectionTimeoutMs", arg: "N", min: 1, help: "an idle connection is closed after this" },
  { flag: "part-min-bytes-per-s", kind: "integer", key: "partMinBytesPerS", arg: "N", help: "slowest average part upload after --request-timeout-ms" },
  { flag: "max-held-waits", kind: "integer", key: "maxHeldWaits", arg: "N", help: "long polls held at once (Prefer: wait)" },
  { flag: "max-held-waits-per-tenant", kind: "integer", key: "maxHeldWaitsPerTenant", arg: "N", help: "long polls held at once per tenant" },
  { flag: "max-running-per-tenant", kind: "integer", key: "maxRunningPerTenant", arg: "N", help: "most running jobs of one tenant, 0 = no limit" },
  { flag: "retention-sweep-ms", kind: "integer", key: "retentionSweepMs", arg: "N", help: "how often expired jobs, keys and uploads are deleted, 0 = never" },
  { flag: "upload-retention-ms", kind: "integer", key: "uploadRetentionMs", arg: "N", help: "completed uploads are deleted this long after completion" },
  { flag: "submit-rate", kind: "custom", arg: "N/Ws", help: "submits per tenant per W seconds (10/1s), then 429; off by default" },
  { flag: "max-queued-per-tenant", kind: "custom", arg: "N", help: "a tenant's queued jobs before submits get 503; off by default" },
  { flag: "max-queued", kind: "custom", arg: "N", help: "all tenants' queued jobs before submits get 503; off by default" },
  { flag: "job-types", kind: "custom", arg: "FILE", help: "a module whose default export is an array or record of job types (.ts, .js, .mjs); repeat to add several (env: comma-separated)" },
  { flag: "no-conformance-types", kind: "boolean", help: "leave out the conformance.* job types (production)" },
  { flag: "public-url", kind: "custom", arg: "URL", help: "origin clients use behind a proxy; part and download URLs use it" },
  { flag: "trust-proxy", kind: "custom", arg: "ADDR[,CIDR…]", help: "believe X-Forwarded-* only from these proxy addresses" },
  { flag: "no-worker", kind: "boolean", help: "serve the API without the in-process worker" },
  { flag: "metrics", kind: "boolean", key: "metrics", help: "Prometheus metrics at GET /metrics (no token: keep it private)" },
  { flag: "log", kind: "boolean", key: "log", help: "request logs on stderr" },
] as const satisfies readonly ServerOption[];

type Flag = (typeof SERVER_OPTIONS)[number]["flag"];

const PARSE_OPTIONS = {
  ...Object.fromEntries(SERVER_OPTIONS.map((o) => [o.flag, { type: o.kind === "boolean" ? "boolean" : "string" }])),
  // Repeatable: each flag adds a module.
  "job-types": { type: "string", multiple: true },
  help: { type: "boolean", short: "h" },
} as Record<Flag | "help", { type: "string" | "boolean"; short?: string; multiple?: boolean }>;

/**
 * A default as `USAGE` and docs/server.md print it.
 *
 * @example
 * formatDefault([0, 5000]); // "0,5000"
 */
export function formatDefault(value: unknown): string {
  return Array.isArray(value) ? value.join(",") : String(value);
}

function usageLine(option: ServerOption): string {
  const left = `  --${option.flag}${option.arg ? ` ${option.arg}` : ""}`;
  const value = option.key === undefined ? undefined : defaultServerConfig[option.key];
  const shown = value === undefined || value === false ? "" : ` (default ${formatDefault(value)})`;
  return `${left.padEnd(32)}${option.help}${shown}`;
}

/** Usage text of the CLI. */
export const USAGE = `Usage: async-jobs-server <serve|worker|migrate|webhook-secret TENANT> [options]

  serve     the API and an in-process worker
  worker    a worker only (several processes share one store)
  migrate   create or upgrade the store's schema, then exit
  webhook-secret TENANT
            print the tenant's webhook signing secret (as these options and the store
            give it), to hand to that tenant

Options (each also an env var: --blob-dir → ASYNC_JOBS_BLOB_DIR):
${(SERVER_OPTIONS as readonly ServerOption[]).map(usageLine).join("\n")}
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
    parsed = parseArgs({ args: [...argv], options: PARSE_OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const command = (positionals[0] ?? "serve") as Command;
  if (!["serve", "worker", "migrate", "webhook-secret"].includes(command)) throw new ConfigError(`unknown command "${command}"`);
  const arity = command === "webhook-secret" ? 2 : 1;
  if (command === "webhook-secret" && positionals.length < arity) throw new ConfigError(`${command} needs a tenant`);
  if (positionals.length > arity) throw new ConfigError(`unexpected argument "${positionals[arity]}"`);

  const get = (name: Flag): string | undefined => {
    const value = values[name];
    if (typeof value === "string") return value;
    if (Array.isArray(value)) return value.join(",");
    return env[`ASYNC_JOBS_${name.toUpperCase().replace(/-/g, "_")}`];
  };
  const flag = (name: Flag): boolean => {
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
  // A tenant that verifies its events with a shared secret can sign events for every other tenant.
  const sharing = new Set([...tokens.values()].filter((tenant) => !tenantWebhookSecrets.has(tenant)));
  // A worker without --tokens signs for tenants it does not know: as many as there are.
  const unknownTenants = command === "worker" && generatedToken;
  if (!generatedWebhookSecret && (sharing.size > 1 || unknownTenants) && !flag("shared-webhook-secret")) {
    throw new ConfigError(
      `--webhook-secret whsec_… would sign the events of ${unknownTenants ? "every" : sharing.size} tenant${unknownTenants ? "" : "s"} with one secret; give each its own ` +
        `(tenant:whsec_…), leave it out to derive one per tenant, or pass --shared-webhook-secret`,
    );
  }

  const schedule = get("webhook-schedule-ms");
  const webhookScheduleMs = schedule
    ? schedule.split(",").map((s) => integer("webhook-schedule-ms", s.trim(), 0))
    : [...defaultServerConfig.webhookScheduleMs];
  if (webhookScheduleMs.length === 0) throw new ConfigError("--webhook-schedule-ms needs at least one delay");

  const store = get("store") ?? defaultServerConfig.store;
  if (!store.startsWith("sqlite:") && !/^postgres(ql)?:\/\//.test(store)) {
    throw new ConfigError(`--store must be sqlite:<path> or postgres://…, got "${store}"`);
  }


  // An integer flag: its default and minimum come from the one table above.
  const int = (name: Flag): number => {
    const option = SERVER_OPTIONS.find((o) => o.flag === name) as ServerOption;
    return integer(name, get(name), defaultServerConfig[option.key!] as number, option.min ?? 0);
  };
  const rate = get("submit-rate");
  const rateMatch = rate === undefined ? null : /^\s*(\d+)\s*\/\s*(\d*)\s*s\s*$/.exec(rate);
  if (rate !== undefined && (!rateMatch || Number(rateMatch[1]) < 1 || rateMatch[2] === "0")) {
    throw new ConfigError(`--submit-rate is N/Ws (e.g. 10/1s or 600/60s), got "${rate}"`);
  }
  const optionalInteger = (name: Flag) => (get(name) === undefined ? undefined : integer(name, get(name), 0, 1));

  const blobs = get("blobs");
  if (blobs !== undefined) {
    try {
      parseS3Location(blobs);
    } catch (error) {
      throw new ConfigError((error as Error).message);
    }
    // SigV4 presigned URLs live at most 7 days.
    if (int("part-url-ttl-s") > 604_800) throw new ConfigError("--part-url-ttl-s must be at most 604800 (7 days) with --blobs s3://…");
  }

  return {
    command,
    secretTenant: positionals[1],
    help: values.help === true,
    port: int("port"),
    host: get("host") ?? defaultServerConfig.host,
    store,
    blobDir: get("blob-dir") ?? defaultServerConfig.blobDir,
    ...(blobs === undefined ? {} : { blobs }),
    tokens,
    generatedToken,
    webhookSecrets,
    tenantWebhookSecrets,
    generatedWebhookSecret,
    webhookScheduleMs,
    allowPrivateWebhooks: flag("allow-private-webhooks"),
    partUrlTtlS: int("part-url-ttl-s"),
    minPartSize: int("min-part-size"),
    leaseTimeoutMs: int("lease-timeout-ms"),
    workerConcurrency: int("worker-concurrency"),
    bodyLimit: int("body-limit"),
    retryBaseMs: int("retry-base-ms"),
    drainGraceMs: int("drain-grace-ms"),
    maxRunningPerTenant: int("max-running-per-tenant"),
    retentionSweepMs: int("retention-sweep-ms"),
    uploadRetentionMs: int("upload-retention-ms"),
    worker: !flag("no-worker"),
    metrics: flag("metrics"),
    log: flag("log"),
    maxJsonDepth: int("max-json-depth"),
    headersTimeoutMs: int("headers-timeout-ms"),
    requestTimeoutMs: int("request-timeout-ms"),
    connectionTimeoutMs: int("connection-timeout-ms"),
    partMinBytesPerS: int("part-min-bytes-per-s"),
    maxHeldWaits: int("max-held-waits"),
    maxHeldWaitsPerTenant: int("max-held-waits-per-tenant"),
    submitRate: rateMatch ? { limit: Number(rateMatch[1]), windowS: Number(rateMatch[2] || 1) } : undefined,
    maxQueuedPerTenant: optionalInteger("max-queued-per-tenant"),
    maxQueued: optionalInteger("max-queued"),
    jobTypeModules: (get("job-types") ?? "").split(",").map((s) => s.trim()).filter(Boolean),
    conformanceTypes: !flag("no-conformance-types"),
    publicUrl: optional(get("public-url"), parsePublicUrl),
    trustProxy: optional(get("trust-proxy"), parseTrustProxy),
  };
}

function optional<T>(value: string | undefined, parse: (value: string) => T): T | undefined {
  if (value === undefined || value === "") return undefined;
  try {
    return parse(value);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}
