import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { catalog, type ConformanceReport, runConformance } from "async-jobs-conformance";
import { asyncJobs, createJobsServer, type JobsServerOptions } from "async-jobs-server";
import Fastify from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import jobTypes from "./fixtures/jobs.ts";

// The whole conformance catalog against the server as a library: with an app's job types beside
// the built-ins, and as a fastify plugin under a prefix of an app that has its own routes.
const TOKEN = "tok_conf_a";
const OTHER_TOKEN = "tok_conf_b";
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwAAAAAAAAAAA=";

function options(dir: string): JobsServerOptions {
  return {
    store: `sqlite:${join(dir, "jobs.db")}`,
    blobs: join(dir, "blobs"),
    jobTypes,
    tokens: { [TOKEN]: "tenant-a", [OTHER_TOKEN]: "tenant-b" },
    webhookSecrets: [SECRET],
    allowPrivateWebhooks: true,
    webhookScheduleMs: [0, 200, 400],
    leaseTimeoutMs: 1000,
    partUrlTtlS: 2,
    minPartSize: 1024,
    retryBaseMs: 100,
    onError: () => {},
  };
}

// These servers set no rate limit and accept private webhook URLs (the suite's receiver is on
// loopback): the checks that need either told are left out, by name.
const LIMIT_CHECKS = catalog.filter((c) => c.needs.includes("rate-limit") || c.needs.includes("private-webhooks-refused")).map((c) => c.id);

async function conform(baseUrl: string): Promise<ConformanceReport> {
  return runConformance({
    baseUrl, token: TOKEN, otherToken: OTHER_TOKEN, webhookSecret: SECRET,
    leaseTimeoutS: 1, partUrlTtlS: 2, webhookRetryWaitS: 1, timeoutScale: 1.5,
    skip: LIMIT_CHECKS,
  });
}

function failures(report: ConformanceReport) {
  return report.results.filter((r) => r.outcome !== "passed").map((r) => `${r.id}: ${r.outcome}: ${r.message}`);
}

describe("the conformance catalog against the server as a library", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it("createJobsServer with an app's job types and the built-ins passes every check", async () => {
    const dir = mkdtempSync(join(tmpdir(), "async-jobs-lib-"));
    const server = await createJobsServer(options(dir));
    cleanups.push(async () => {
      await server.close(0);
      rmSync(dir, { recursive: true, force: true });
    });
    expect(server.registry.list().map((t) => t.type)).toEqual(expect.arrayContaining(["conformance.echo", "file.gzip", "text.wordcount"]));
    const report = await conform(await server.listen({ port: 0, host: "127.0.0.1" }));
    expect(failures(report)).toEqual([]);
    expect(report.summary.passed).toBe(catalog.length - LIMIT_CHECKS.length);
  }, 120_000);

  it("the fastify plugin mounted under /jobs of an app with its own routes passes every check", async () => {
    const dir = mkdtempSync(join(tmpdir(), "async-jobs-plugin-"));
    const app = Fastify();
    app.get("/health", async () => ({ app: "mine" }));
    await app.register(asyncJobs, { prefix: "/jobs", ...options(dir), drainGraceMs: 0 });
    cleanups.push(async () => {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    expect(await (await fetch(`${origin}/health`)).json()).toEqual({ app: "mine" });
    const report = await conform(`${origin}/jobs`);
    expect(failures(report)).toEqual([]);
    expect(report.summary.passed).toBe(catalog.length - LIMIT_CHECKS.length);
  }, 120_000);
});
