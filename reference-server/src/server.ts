import { setMaxListeners } from "node:events";
import type { FastifyInstance } from "fastify";
import { createChangeNotifier } from "./change-notifier.ts";
import type { ServerConfig } from "./config.ts";
import { createApp } from "./http/create-app.ts";
import { createHeldWaits } from "./http/held-waits.ts";
import { createJobHandlers } from "./http/job-handlers.ts";
import { conformanceEcho, createJobTypeRegistry, type JobTypeRegistry } from "./job-types/index.ts";
import { createUploadsFeature } from "./uploads/index.ts";
import type { JobStore } from "./store/job-store.ts";
import { openJobStore } from "./store/open-job-store.ts";
import { startRetentionSweep } from "./store/retention-sweep.ts";
import { startWebhookDeliverer, type WebhookDeliverer } from "./webhooks/webhook-deliverer.ts";
import { startWorker, type Worker } from "./worker/worker.ts";

/** The running parts of one process. */
export interface RunningServer {
  /** `http://HOST:PORT` (only with the API). */
  url: string;
  app?: FastifyInstance;
  store: JobStore;
  registry: JobTypeRegistry;
  worker?: Worker;
  deliverer?: WebhookDeliverer;
  /** Stops taking requests and jobs, drains the worker, closes the store. */
  close(graceMs?: number): Promise<void>;
}


/**
 * Starts what `config.command` asks for: `serve` (API + worker + webhook deliverer) or
 * `worker` (worker + deliverer), on one store.
 *
 * @example
 * const server = await startServer(loadConfig(["serve", "--port", "0"]));
 * console.log(server.url); await server.close();
 */
export async function startServer(
  config: ServerConfig,
  log: (message: string, error?: unknown) => void = () => {},
  /** Test seams: host resolution of the webhook URL guard. */
  seams: { resolveHost?: (host: string) => Promise<string[]> } = {},
): Promise<RunningServer> {
  const changes = createChangeNotifier();
  // Aborted first on close, so open job streams end instead of holding the shutdown.
  const stopping = new AbortController();
  setMaxListeners(0, stopping.signal); // one listener per open job stream
  const store = await openJobStore(config.store, {
    changes,
    webhookFirstDelayMs: config.webhookScheduleMs[0] ?? 0,
    maxRunningPerTenant: config.maxRunningPerTenant || Infinity,
    log,
  });
  let url = "";
  const uploads = createUploadsFeature({
    store: config.store,
    blobs: config.blobDir,
    minPartSize: config.minPartSize,
    partUrlTtlS: config.partUrlTtlS,
    partMinBytesPerS: config.partMinBytesPerS,
    requestTimeoutMs: config.requestTimeoutMs,
    retainCompletedMs: config.uploadRetentionMs,
  });
  await uploads.migrate();
  // The one periodic housekeeping of this process: jobs, keys and uploads past their lifetimes.
  const retention = startRetentionSweep({ store, uploads, everyMs: config.retentionSweepMs, log });
  const registry = createJobTypeRegistry([conformanceEcho, ...uploads.jobTypes]);

  let app: FastifyInstance | undefined;
  if (config.command === "serve") {
    app = await createApp({
      handlers: createJobHandlers({
        store,
        registry,
        allowPrivateWebhooks: config.allowPrivateWebhooks,
        resolveHost: seams.resolveHost,
        heldWaits: createHeldWaits({ max: config.maxHeldWaits, perTenant: config.maxHeldWaitsPerTenant }),
        heldStreams: createHeldWaits({ max: config.maxHeldWaits, perTenant: config.maxHeldWaitsPerTenant }),
        closing: stopping.signal,
      }),
      plugins: [uploads.plugin],
      tokens: config.tokens,
      bodyLimit: config.bodyLimit,
      logger: config.log,
      maxJsonDepth: config.maxJsonDepth,
      headersTimeoutMs: config.headersTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      connectionTimeoutMs: config.connectionTimeoutMs,
    });
    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  }

  const worker =
    config.command === "worker" || config.worker
      ? startWorker({
          store,
          registry,
          concurrency: config.workerConcurrency,
          leaseTimeoutMs: config.leaseTimeoutMs,
          retryBaseMs: config.retryBaseMs,
          log,
        })
      : undefined;
  const deliverer = startWebhookDeliverer({
    store,
    secretsFor: (tenant) => config.tenantWebhookSecrets.get(tenant) ?? config.webhookSecrets,
    scheduleMs: config.webhookScheduleMs,
    log,
  });

  let closing: Promise<void> | undefined;
  return {
    url,
    app,
    store,
    registry,
    worker,
    deliverer,
    close(graceMs = config.drainGraceMs) {
      closing ??= (async () => {
        stopping.abort();
        await app?.close();
        await worker?.stop(graceMs);
        await deliverer.stop();
        await retention.stop();
        await uploads.close();
        await store.close();
      })();
      return closing;
    },
  };
}
