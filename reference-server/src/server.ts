import type { FastifyInstance } from "fastify";
import type { ServerConfig } from "./config.ts";
import { closeServerParts, createProtocolApp, openServerParts, startBackground } from "./create-jobs-server.ts";
import type { JobTypeRegistry } from "./job-types/index.ts";
import { loadJobTypeModules } from "./job-types/load-job-types.ts";
import type { JobStore } from "./store/job-store.ts";
import type { SecretsFor } from "./webhooks/tenant-secrets.ts";
import type { WebhookDeliverer } from "./webhooks/webhook-deliverer.ts";
import type { Worker } from "./worker/worker.ts";

/** The running parts of one process. */
export interface RunningServer {
  /** `http://HOST:PORT` (only with the API). */
  url: string;
  app?: FastifyInstance;
  store: JobStore;
  registry: JobTypeRegistry;
  worker?: Worker;
  deliverer?: WebhookDeliverer;
  /** A tenant's webhook signing secrets, newest first (what its receivers verify with). */
  webhookSecretsFor: SecretsFor;
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
  const parts = await openServerParts(config, await loadJobTypeModules(config.jobTypeModules), log);
  const { store, registry } = parts;
  let url = "";
  let app: FastifyInstance | undefined;
  if (config.command === "serve") {
    app = await createProtocolApp(parts, seams);
    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  }
  const background = startBackground(parts, config.command === "worker" || config.worker, seams);

  let closing: Promise<void> | undefined;
  return {
    url,
    app,
    store,
    registry,
    worker: background.worker,
    deliverer: background.deliverer,
    webhookSecretsFor: parts.webhookSecretsFor,
    close(graceMs = config.drainGraceMs) {
      closing ??= (async () => {
        await closeServerParts(parts, background, graceMs, app);
      })();
      return closing;
    },
  };
}
