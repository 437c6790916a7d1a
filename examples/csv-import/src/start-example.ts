import { readFile } from "node:fs/promises";
import { asyncJobs } from "async-jobs-server";
import { build } from "esbuild";
import Fastify, { type FastifyInstance } from "fastify";
import { csvImport } from "./csv-import.ts";

/** Options of {@link startExample}. */
export interface ExampleOptions {
  /** @default 8080 (0 picks a free port) */
  port?: number;
  /** Where jobs and uploads live. @default "./data" */
  dataDir?: string;
  /** The page's bearer token (tenant "demo"). @default "demo-token" */
  token?: string;
  /** Smallest upload part but the last, bytes. @default 5 MiB */
  minPartSize?: number;
}

/**
 * The example app: its own routes (the page and its script) and the async-jobs protocol
 * mounted under `/api` by the fastify plugin, running `csv.import` beside the built-in types.
 *
 * @example
 * const { url, close } = await startExample({ port: 0 });
 */
export async function startExample(options: ExampleOptions = {}): Promise<{ url: string; app: FastifyInstance; close(): Promise<void> }> {
  const dataDir = options.dataDir ?? "./data";
  const token = options.token ?? "demo-token";
  const app = Fastify();
  await app.register(asyncJobs, {
    prefix: "/api",
    store: `sqlite:${dataDir}/jobs.db`,
    blobs: `${dataDir}/blobs`,
    jobTypes: [csvImport],
    conformanceTypes: false,
    tokens: { [token]: "demo" },
    minPartSize: options.minPartSize,
    drainGraceMs: 1000,
  });

  // The page's script: the SDK bundled for the browser, once at start.
  const bundle = await build({
    entryPoints: [new URL("../public/page.ts", import.meta.url).pathname],
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["async-jobs-source"],
    write: false,
    logLevel: "silent",
  });
  const script = bundle.outputFiles[0]!.text;
  const html = (await readFile(new URL("../public/index.html", import.meta.url), "utf8")).replace("%TOKEN%", token);
  app.get("/", async (_request, reply) => reply.type("text/html; charset=utf-8").send(html));
  app.get("/page.js", async (_request, reply) => reply.type("text/javascript; charset=utf-8").send(script));

  await app.listen({ port: options.port ?? 8080, host: "127.0.0.1" });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  return { url, app, close: () => app.close() };
}
