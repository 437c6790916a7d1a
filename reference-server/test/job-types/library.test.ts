import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "async-jobs";
import { createJobsServer, type JobTypeDefinition, startWorker } from "async-jobs-server";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { wordCount } from "./fixtures/jobs.ts";

const TOKEN = "tok_lib";

describe("the server as a library", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "async-jobs-lib-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };

  it("conformanceTypes: false (--no-conformance-types) leaves out conformance.* and keeps the rest", async () => {
    const dir = tempDir();
    const server = await createJobsServer({ store: `sqlite:${join(dir, "jobs.db")}`, blobs: join(dir, "blobs"), jobTypes: { wordCount }, conformanceTypes: false });
    cleanups.push(() => server.close(0));
    expect(server.registry.list().map((t) => t.type).sort()).toEqual(["file.checksum", "file.gzip", "text.wordcount"]);
    expect(loadConfig(["serve", "--no-conformance-types"]).conformanceTypes).toBe(false);
    expect(loadConfig(["serve"]).conformanceTypes).toBe(true);
    expect(loadConfig(["worker", "--job-types", "a.ts", "--job-types", "b.mjs"]).jobTypeModules).toEqual(["a.ts", "b.mjs"]);
  });

  it("startWorker runs the jobs an API-only server (worker: false) takes, on one store", async () => {
    const dir = tempDir();
    const shared = { store: `sqlite:${join(dir, "jobs.db")}`, blobs: join(dir, "blobs"), jobTypes: [wordCount] };
    const server = await createJobsServer({ ...shared, worker: false, tokens: { [TOKEN]: "acme" } });
    cleanups.push(() => server.close(0));
    expect(server.worker).toBeUndefined();
    const client = createClient<{ "text.wordcount": { input: { text: string }; result: { words: number } } }>({
      baseUrl: await server.listen({ port: 0, host: "127.0.0.1" }),
      token: TOKEN,
    });
    const { job } = await client.jobs.submit({ type: "text.wordcount", input: { text: "a b c d" } });
    await new Promise((r) => setTimeout(r, 300));
    expect((await client.jobs.get(job.id)).status).toBe("queued"); // nobody runs it yet

    const worker = await startWorker(shared);
    cleanups.push(() => worker.stop(0));
    expect(worker.id).toMatch(/^wrk_/);
    const done = await client.jobs.wait(job.id);
    expect(done.result).toEqual({ words: 4 });
  });

  it("still runs a plain JobTypeDefinition with JSON Schemas (no zod), checked by ajv", async () => {
    const dir = tempDir();
    const upper: JobTypeDefinition<{ text: string }, { text: string }> = {
      type: "text.upper",
      description: "Upper-cases a text.",
      inputSchema: { type: "object", required: ["text"], properties: { text: { type: "string" } }, additionalProperties: false },
      resultSchema: { type: "object", properties: { text: { type: "string" } } },
      async run({ input }) {
        return { text: input.text.toUpperCase() };
      },
    };
    const server = await createJobsServer({ store: `sqlite:${join(dir, "jobs.db")}`, blobs: join(dir, "blobs"), jobTypes: [upper], tokens: { [TOKEN]: "acme" } });
    cleanups.push(() => server.close(0));
    const client = createClient<{ "text.upper": { input: { text: string }; result: { text: string } } }>({
      baseUrl: await server.listen({ port: 0, host: "127.0.0.1" }),
      token: TOKEN,
      retry: { limit: 0 },
    });
    expect((await client.jobs.submitAndWait({ type: "text.upper", input: { text: "abc" } })).result).toEqual({ text: "ABC" });
    const refused = await client.jobs.submit({ type: "text.upper", input: { text: "a", extra: 1 } as never }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 422, code: "invalid_input", problem: { errors: [{ path: "/input/extra" }] } });
    expect((await client.jobs.types()).find((t) => t.type === "text.upper")?.input_schema).toEqual(upper.inputSchema);
  });
});
