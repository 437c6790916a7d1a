import type { FastifyPluginAsync } from "fastify";
import {
  closeServerParts,
  createProtocolApp,
  type JobsServerOptions,
  openServerParts,
  startBackground,
  toServerConfig,
} from "./create-jobs-server.ts";

/** Options of the {@link asyncJobs} plugin: those of `createJobsServer`, plus fastify's `prefix`. */
export type AsyncJobsPluginOptions = JobsServerOptions;

/**
 * A fastify plugin that serves the protocol under the prefix it is registered with, beside an
 * app's own routes, with the in-process worker and webhook deliverer. The protocol keeps its own
 * body parsing, validation, auth and problem answers: requests under the prefix go to an inner
 * protocol app, so nothing of the host app's configuration changes them, and the host's
 * `close()` drains the worker and closes the store.
 *
 * @example
 * import Fastify from "fastify";
 * import { asyncJobs } from "async-jobs-server";
 * const app = Fastify();
 * await app.register(asyncJobs, { prefix: "/jobs", store: "sqlite:./data/jobs.db", jobTypes: [wordCount], tokens: { t: "acme" } });
 * await app.listen({ port: 8080 }); // the SDK's baseUrl: http://127.0.0.1:8080/jobs
 */
export const asyncJobs: FastifyPluginAsync<AsyncJobsPluginOptions> = async (host, options) => {
  // A generated dev token would be unknowable here (createJobsServer hands it back; a plugin cannot).
  if (options.tokens === undefined) throw new TypeError("asyncJobs: pass `tokens` (bearer token → tenant)");
  const prefix = host.prefix.replace(/\/+$/, "");
  const config = toServerConfig("serve", options);
  const log = options.onError ?? ((message: string, error?: unknown) => host.log.error({ err: error }, message));
  const parts = await openServerParts(config, options.jobTypes, log, prefix);
  const inner = await createProtocolApp(parts, { resolveHost: options.resolveHost });
  // The protocol answers `Location: /v1/jobs/{id}`; under a prefix that path lives below it.
  inner.addHook("onSend", (_request, reply, payload, done) => {
    const location = reply.getHeader("location");
    if (typeof location === "string" && location.startsWith("/v1/")) reply.header("location", prefix + location);
    done(null, payload);
  });
  await inner.ready();
  const background = startBackground(parts, config.worker);
  host.addHook("onClose", async () => {
    await inner.close();
    await closeServerParts(parts, background, config.drainGraceMs);
  });

  // Handed over before the host parses a body: the inner app reads the raw request itself and
  // answers it, so the host's lifecycle of this request ends here (`done` is never called).
  host.addHook("onRequest", (request, reply, _done) => {
    reply.hijack();
    request.raw.url = request.raw.url!.slice(prefix.length) || "/";
    inner.routing(request.raw, reply.raw);
  });
  host.all("/*", async () => undefined);
};
