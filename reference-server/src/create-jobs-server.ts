import { setMaxListeners } from "node:events";
import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { createChangeNotifier } from "./change-notifier.ts";
import { defaultServerConfig, loadConfig, type ServerConfig } from "./config.ts";
import { createApp, OPENAPI_PATH } from "./http/create-app.ts";
import { createHeldWaits } from "./http/held-waits.ts";
import { closeHttp } from "./http/close-http.ts";
import { createJobHandlers } from "./http/job-handlers.ts";
import { createJobsStreamHandlers } from "./http/jobs-stream-many.ts";
import { createScopedTokenAuth, createTokenHandlers, deriveScopedTokenKey } from "./tokens/index.ts";
import { createReadinessHandler } from "./http/readiness.ts";
import { registerRateLimits } from "./http/rate-limit.ts";
import { openBlobStore } from "./blobs/open-blob-store.ts";
import { instrumentJobStore } from "./metrics/instrument-job-store.ts";
import { registerMetricsRoute } from "./metrics/metrics-route.ts";
import { createServerMetrics, type ServerMetrics } from "./metrics/server-metrics.ts";
import { conformanceEcho, createJobTypeRegistry, type JobTypeRegistry } from "./job-types/index.ts";
import { type JobTypeList, toJobTypeArray } from "./job-types/load-job-types.ts";
import { openApiWithJobTypes } from "./job-types/served-openapi.ts";
import type { JobStore } from "./store/job-store.ts";
import { openJobStore } from "./store/open-job-store.ts";
import { startRetentionSweep } from "./store/retention-sweep.ts";
import { createUploadsFeature, type UploadsFeature } from "./uploads/index.ts";
import { createTenantSecrets, type SecretsFor } from "./webhooks/tenant-secrets.ts";
import { startWebhookDeliverer, type WebhookDeliverer } from "./webhooks/webhook-deliverer.ts";
import { startWorker as startWorkerLoop, type Worker } from "./worker/worker.ts";
import { logToStderr } from "./log-to-stderr.ts";

/**
 * Options of {@link createJobsServer} and {@link startWorker}: the CLI's configuration
 * (`async-jobs-server --help`), each field optional with the CLI's default.
 */
export interface JobsServerOptions extends Partial<Omit<ServerConfig, "command" | "store" | "blobDir" | "tokens" | "jobTypeModules">> {
  /** `sqlite:<path>` or `postgres://…`. @default "sqlite:./data/jobs.db" */
  store?: string;
  /** Directory of the local-disk blob store (upload parts, outputs), or `s3://bucket/prefix?…` (docs/object-storage.md). @default "./data/blobs" */
  blobs?: string;
  /** Your job types, an array or a record; added to the built-in ones. */
  jobTypes?: JobTypeList;
  /** Bearer token → tenant. Without, a dev token is generated (see `tokens` of the result). */
  tokens?: Readonly<Record<string, string>> | ReadonlyMap<string, string>;
  /** Where errors of background work go. @default console.error */
  onError?: (message: string, error?: unknown) => void;
  /** Test seams: host resolution of the webhook URL guard. */
  resolveHost?: (host: string) => Promise<string[]>;
}

/** The parts every process of one deployment shares: store, uploads, job types. */
export interface ServerParts {
  config: ServerConfig;
  store: JobStore;
  uploads: UploadsFeature;
  registry: JobTypeRegistry;
  /** A tenant's webhook signing secrets, newest first (what its receivers verify with). */
  webhookSecretsFor: SecretsFor;
  /** The one periodic housekeeping of this process: jobs, keys and uploads past their lifetimes. */
  retention: { stop(): Promise<void> };
  /** Aborted first on close, so open job streams end instead of holding the shutdown. */
  stopping: AbortController;
  /** `--metrics`: what `GET /metrics` serves. */
  metrics?: ServerMetrics;
  log: (message: string, error?: unknown) => void;
}

/** Test seams: host resolution of the webhook URL guard, at submit and at delivery. */
export interface ServerSeams {
  resolveHost?: (host: string) => Promise<string[]>;
}

/**
 * The configuration of {@link JobsServerOptions}: the CLI's defaults, then the options.
 */
export function toServerConfig(command: ServerConfig["command"], options: JobsServerOptions): ServerConfig {
  const { store, blobs, tokens, jobTypes: _jobTypes, onError: _onError, resolveHost: _resolveHost, ...rest } = options;
  const defaults = loadConfig([command]);
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Partial<ServerConfig>;
  const tokenMap = tokens === undefined ? undefined : tokens instanceof Map ? new Map(tokens) : new Map(Object.entries(tokens));
  return {
    ...defaults,
    ...defined,
    store: store ?? defaults.store,
    ...(blobs?.startsWith("s3://") ? { blobs, blobDir: defaults.blobDir } : { blobDir: blobs ?? defaults.blobDir }),
    tokens: tokenMap ?? defaults.tokens,
    generatedToken: tokenMap === undefined,
    jobTypeModules: [],
  };
}

/**
 * Opens the store and the uploads feature and builds the registry: the built-in job types
 * (`conformance.*` unless `conformanceTypes: false`), then the app's.
 */
export async function openServerParts(
  config: ServerConfig,
  jobTypes: JobTypeList | undefined,
  log: ServerParts["log"],
  /** Path the protocol is mounted under, for signed upload URLs. */
  basePath = "",
): Promise<ServerParts> {
  const changes = createChangeNotifier();
  const openedStore = await openJobStore(config.store, {
    changes,
    webhookFirstDelayMs: config.webhookScheduleMs[0] ?? 0,
    maxRunningPerTenant: config.maxRunningPerTenant || Infinity,
    log,
  });
  // --metrics: counted where the store writes (no hot-path hooks), served at GET /metrics.
  const metrics = config.metrics ? createServerMetrics({ queueStats: async () => (await openedStore.queueStats?.()) ?? [] }) : undefined;
  const store = metrics ? instrumentJobStore(openedStore, metrics) : openedStore;
  const uploads = createUploadsFeature({
    store: config.store,
    blobs: config.blobs ? await openBlobStore(config.blobs, (message) => log(message)) : config.blobDir,
    ...(metrics ? { metrics } : {}),
    minPartSize: config.minPartSize,
    partUrlTtlS: config.partUrlTtlS,
    partMinBytesPerS: config.partMinBytesPerS,
    requestTimeoutMs: config.requestTimeoutMs,
    retainCompletedMs: config.uploadRetentionMs,
    basePath,
    publicUrl: config.publicUrl,
  });
  await uploads.migrate();
  const retention = startRetentionSweep({ store, uploads, everyMs: config.retentionSweepMs, log });
  const builtIn = [...(config.conformanceTypes ? [conformanceEcho] : []), ...uploads.jobTypes];
  const registry = createJobTypeRegistry([...builtIn, ...toJobTypeArray(jobTypes)]);
  // Secrets derived from the key kept in the store: every process of a deployment signs alike.
  const webhookSecretsFor = createTenantSecrets({
    perTenant: config.tenantWebhookSecrets,
    shared: config.webhookSecrets,
    masterKey: () => uploads.signingKey(),
  });
  const stopping = new AbortController();
  setMaxListeners(0, stopping.signal); // one listener per open job stream
  return { config, store, uploads, registry, webhookSecretsFor, retention, stopping, log, ...(metrics ? { metrics } : {}) };
}

/** The background work of a process: the worker (unless turned off) and the webhook deliverer. */
export function startBackground(parts: ServerParts, withWorker: boolean, seams: ServerSeams = {}): { worker?: Worker; deliverer: WebhookDeliverer } {
  const { config, store, registry, log } = parts;
  const worker = withWorker
    ? startWorkerLoop({
        store,
        registry,
        concurrency: config.workerConcurrency,
        leaseTimeoutMs: config.leaseTimeoutMs,
        retryBaseMs: config.retryBaseMs,
        log,
        uploadsFor: (tenant) => ({
          async open(uploadId) {
            const upload = await parts.uploads.service.openCompleted(tenant, uploadId);
            if (!upload) return undefined;
            const { id, filename, contentType, size } = upload.record;
            return { id, filename, contentType, size, read: () => upload.read() };
          },
        }),
      })
    : undefined;
  const deliverer = startWebhookDeliverer({
    store,
    secretsFor: parts.webhookSecretsFor,
    scheduleMs: config.webhookScheduleMs,
    allowPrivate: config.allowPrivateWebhooks,
    resolveHost: seams.resolveHost,
    log,
  });
  return { worker, deliverer };
}

/** Builds the protocol's fastify app (not listening) over the parts. */
export async function createProtocolApp(parts: ServerParts, seams: ServerSeams = {}): Promise<FastifyInstance> {
  const { config, store, registry, uploads } = parts;
  // The served contract names this server's job types, so clients generate their types from it.
  const served = openApiWithJobTypes(readFileSync(OPENAPI_PATH, "utf8"), registry.definitions());
  // Open event streams are capped like held long polls, on their own counter, one-job and many-jobs alike.
  const heldStreams = createHeldWaits({ max: config.maxHeldWaits, perTenant: config.maxHeldWaitsPerTenant });
  const retryMs = defaultServerConfig.retryAfterS * 1000;
  const tokenKey = deriveScopedTokenKey(await uploads.signingKey());
  const app = await createApp({
    handlers: {
      getOpenApi: async (_request, reply) => reply.type("application/yaml; charset=utf-8").send(served),
      ...createJobHandlers({
        store,
        registry,
        allowPrivateWebhooks: config.allowPrivateWebhooks,
        resolveHost: seams.resolveHost,
        heldWaits: createHeldWaits({ max: config.maxHeldWaits, perTenant: config.maxHeldWaitsPerTenant }),
        heldStreams,
        closing: parts.stopping.signal,
      }),
      ...createJobsStreamHandlers({ store, heldStreams, retryMs, closing: parts.stopping.signal }),
      ...createTokenHandlers({ key: tokenKey, store, getUpload: (tenant, id) => uploads.service.get(tenant, id) }),
      getReadiness: createReadinessHandler(store),
    },
    plugins: [uploads.plugin],
    tokens: config.tokens,
    scopedTokens: createScopedTokenAuth(tokenKey),
    bodyLimit: config.bodyLimit,
    logger: config.log,
    maxJsonDepth: config.maxJsonDepth,
    headersTimeoutMs: config.headersTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    connectionTimeoutMs: config.connectionTimeoutMs,
    trustProxy: config.trustProxy,
  });
  registerRateLimits(app, { store, submitRate: config.submitRate, maxQueuedPerTenant: config.maxQueuedPerTenant, maxQueued: config.maxQueued });
  if (parts.metrics) registerMetricsRoute(app, parts.metrics);
  return app;
}

/**
 * Closes what {@link openServerParts} and {@link startBackground} started (and the `app`):
 * the API and the worker drain side by side, the store closes only after both (issue 20).
 */
export async function closeServerParts(
  parts: ServerParts,
  background: { worker?: Worker; deliverer: WebhookDeliverer },
  graceMs: number,
  app?: FastifyInstance,
) {
  parts.stopping.abort();
  await Promise.all([app && closeHttp(app, graceMs), background.worker?.stop(graceMs)]);
  await background.deliverer.stop();
  await parts.retention.stop();
  await parts.uploads.close();
  await parts.store.close();
}

/** A server made by {@link createJobsServer}. */
export interface JobsServer {
  /** The protocol's fastify app; add your own routes or hooks before `listen`. */
  readonly app: FastifyInstance;
  readonly store: JobStore;
  readonly registry: JobTypeRegistry;
  /** The in-process worker (absent with `worker: false`). */
  readonly worker?: Worker;
  /** Bearer token → tenant in use (a generated dev token when none was given). */
  readonly tokens: ReadonlyMap<string, string>;
  /** Listens (default: the `port` and `host` options) and resolves with `http://HOST:PORT`. */
  listen(options?: { port?: number; host?: string }): Promise<string>;
  /** Stops taking requests and jobs, drains the worker within `graceMs`, closes the store. */
  close(graceMs?: number): Promise<void>;
}

/**
 * The reference server as a library: the protocol's API, an in-process worker and the webhook
 * deliverer over one store, running the built-in job types and yours.
 *
 * @example
 * import { createJobsServer } from "async-jobs-server";
 * import { wordCount } from "./jobs.ts";
 * const server = await createJobsServer({ store: "sqlite:./data/jobs.db", blobs: "./data/blobs", jobTypes: [wordCount], tokens: { dev_token: "dev" } });
 * console.log(await server.listen({ port: 8080 }));
 */
export async function createJobsServer(options: JobsServerOptions = {}): Promise<JobsServer> {
  const config = toServerConfig("serve", options);
  const log = options.onError ?? logToStderr;
  const parts = await openServerParts(config, options.jobTypes, log);
  const app = await createProtocolApp(parts, { resolveHost: options.resolveHost });
  const background = startBackground(parts, config.worker, { resolveHost: options.resolveHost });
  let closing: Promise<void> | undefined;
  return {
    app,
    store: parts.store,
    registry: parts.registry,
    worker: background.worker,
    tokens: config.tokens,
    async listen(listenOptions = {}) {
      const host = listenOptions.host ?? config.host;
      await app.listen({ port: listenOptions.port ?? config.port, host });
      const address = app.server.address();
      const port = typeof address === "object" && address ? address.port : config.port;
      return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    },
    close(graceMs = config.drainGraceMs) {
      closing ??= (async () => {
        await closeServerParts(parts, background, graceMs, app);
      })();
      return closing;
    },
  };
}
