import type { FastifyInstance } from "fastify";
import type { ServerMetrics } from "./server-metrics.ts";

/**
 * `GET /metrics` (Prometheus text format, no bearer token: expose it on a private network only)
 * and the count of every HTTP request by method, route template and status. Call before listen.
 *
 * @example
 * if (metrics) registerMetricsRoute(app, metrics);
 */
export function registerMetricsRoute(app: FastifyInstance, metrics: ServerMetrics): void {
  app.addHook("onResponse", (request, reply, done) => {
    // The route template, not the URL: ids would make one series per job.
    metrics.httpRequest(request.method, request.routeOptions.url ?? "unmatched", reply.statusCode);
    done();
  });
  app.get("/metrics", async (_request, reply) => reply.header("content-type", metrics.contentType).send(await metrics.render()));
}
