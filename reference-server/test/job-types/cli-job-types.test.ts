import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ApiError, createClient, isApiError, isJobFailedError, type AsyncJobsClient } from "async-jobs";
import type { JobTypesOf } from "async-jobs-server";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import type jobTypes from "./fixtures/jobs.ts";
import { type SpawnedServer, spawnServer } from "./support/spawn-server.ts";

// Issue 11's acceptance: a team's job-types module, outside the repository, run by
// `async-jobs-server serve --job-types <file>` (its bin, no build), used through the SDK.
const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = join(REPO, "reference-server/bin/async-jobs-server.js");
const TOKEN = "tok_jobtypes";

/** The .ts module's types through JobTypesOf; the plain-JS module's written by hand. */
type AppJobTypes = JobTypesOf<typeof jobTypes> & { "text.upper": { input: { text: string }; result: { text: string } } };

/** A directory as an app's: its modules, and node_modules with the packages it installed. */
function appDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), "async-jobs-app-"));
  cpSync(join(REPO, "reference-server/test/job-types/fixtures/jobs.ts"), join(dir, "jobs.ts"));
  cpSync(join(REPO, "reference-server/test/job-types/fixtures/more-jobs.mjs"), join(dir, "more-jobs.mjs"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "my-app", private: true, type: "module" }));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(join(REPO, "reference-server"), join(dir, "node_modules/async-jobs-server"), "dir");
  symlinkSync(join(REPO, "node_modules/zod"), join(dir, "node_modules/zod"), "dir");
  return dir;
}

describe("async-jobs-server serve --job-types (a module outside the repo)", () => {
  let dir: string;
  let server: SpawnedServer;
  let client: AsyncJobsClient<AppJobTypes>;

  beforeAll(async () => {
    dir = appDirectory();
    server = await spawnServer(
      BIN,
      [
        "serve", "--port", "0", "--store", "sqlite:./data/jobs.db", "--blob-dir", "./data/blobs", "--tokens", `${TOKEN}:acme`,
        "--retry-base-ms", "50", "--job-types", "./jobs.ts", "--job-types", "./more-jobs.mjs",
      ],
      dir,
    );
    client = createClient<AppJobTypes>({ baseUrl: server.url, token: TOKEN, retry: { limit: 0 } });
  }, 70_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("runs a job type of the module: submitAndWait answers its typed result", async () => {
    const job = await client.jobs.submitAndWait({ type: "text.wordcount", input: { text: "one two  three" } });
    expectTypeOf(job.result).toEqualTypeOf<{ words: number }>();
    expect(job.status).toBe("succeeded");
    expect(job.result).toEqual({ words: 3 });
  });

  it("adds up several --job-types flags (a .mjs module default-exporting a record)", async () => {
    const job = await client.jobs.submitAndWait({ type: "text.upper", input: { text: "abc" } });
    expect(job.result).toEqual({ text: "ABC" });
  });

  it("refuses input that breaks the zod schema with 422 invalid_input at the zod path from the body root", async () => {
    const error = await client.jobs
      // @ts-expect-error text must be a string
      .submit({ type: "text.wordcount", input: { text: 42 } })
      .catch((e: unknown) => e);
    expect(isApiError(error, "invalid_input")).toBe(true);
    expect((error as ApiError).status).toBe(422);
    expect((error as ApiError).problem.errors).toEqual([expect.objectContaining({ path: "/input/text" })]);
    const tooLong = await client.jobs.submit({ type: "text.wordcount", input: { text: "x".repeat(1001) } }).catch((e: unknown) => e);
    expect((tooLong as ApiError).problem.errors?.map((e) => e.path)).toEqual(["/input/text"]);
  });

  it("fails a job whose result breaks its schema with code invalid_result, without retrying", async () => {
    const error = await client.jobs.submitAndWait({ type: "test.broken-result", input: {}, max_attempts: 3 }).catch((e: unknown) => e);
    expect(isJobFailedError(error)).toBe(true);
    if (!isJobFailedError(error)) return;
    expect(error.problem.code).toBe("invalid_result");
    expect(error.problem.detail).toContain("/count");
    expect(error.job.attempt).toBe(1);
  });

  it("fails an attempt past timeoutMs with code timeout, retries it, then fails attempts_exhausted", async () => {
    const { job } = await client.jobs.submit({ type: "test.too-slow", input: {} });
    expect(job.max_attempts).toBe(2); // the type's maxAttempts
    const error = await client.jobs.wait(job.id).catch((e: unknown) => e);
    expect(isJobFailedError(error)).toBe(true);
    if (!isJobFailedError(error)) return;
    expect(error.problem.code).toBe("attempts_exhausted");
    expect(error.job.attempt).toBe(2);
    expect(error.problem.detail).toMatch(/timeout/); // the last attempt's failure
  }, 20_000);

  it("cancels a job during run: its signal aborts and the job ends canceled", async () => {
    const { job } = await client.jobs.submit({ type: "test.until-canceled", input: {} });
    while ((await client.jobs.get(job.id)).progress?.percent !== 10) await new Promise((r) => setTimeout(r, 50));
    const canceling = await client.jobs.cancel(job.id);
    expect(["running", "canceled"]).toContain(canceling.status);
    const started = Date.now();
    let status = canceling.status;
    while (status !== "canceled" && Date.now() - started < 10_000) {
      await new Promise((r) => setTimeout(r, 50));
      status = (await client.jobs.get(job.id)).status;
    }
    expect(status).toBe("canceled"); // only a run that saw its signal and threw ends canceled
  });

  it("runs at most `concurrency` jobs of a type at once per worker", async () => {
    const jobs = await Promise.all([0, 1, 2, 3].map(() => client.jobs.submitAndWait({ type: "test.limited", input: { ms: 300 } })));
    const intervals = jobs.map((j) => j.result);
    const mostAtOnce = Math.max(...intervals.map((a) => intervals.filter((b) => b.startedAt <= a.startedAt && a.startedAt < b.endedAt).length));
    expect(mostAtOnce).toBeLessThanOrEqual(2);
  });

  it("lists each type's input_schema and result_schema as JSON Schema 2020-12 made from zod", async () => {
    const types = await client.jobs.types();
    expect(types.map((t) => t.type)).toEqual(
      expect.arrayContaining(["conformance.echo", "file.checksum", "file.gzip", "text.wordcount", "text.upper", "test.limited"]),
    );
    const wordCount = types.find((t) => t.type === "text.wordcount")!;
    expect(wordCount.description).toBe("Counts the words of a text.");
    expect(wordCount.input_schema).toEqual({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: { text: { type: "string", maxLength: 1000 } },
      required: ["text"],
    });
    expect(wordCount.result_schema).toMatchObject({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      properties: { words: { type: "integer" } },
      required: ["words"],
    });
  });
});

describe("async-jobs-server worker --job-types beside serve --no-worker", () => {
  it("the worker process runs the module's job types that the API process took", async () => {
    const dir = appDirectory();
    const common = ["--store", "sqlite:./data/jobs.db", "--blob-dir", "./data/blobs", "--job-types", "./jobs.ts"];
    const api = await spawnServer(BIN, ["serve", "--port", "0", "--tokens", `${TOKEN}:acme`, "--no-worker", ...common], dir);
    let worker: SpawnedServer | undefined;
    try {
      const client = createClient<AppJobTypes>({ baseUrl: api.url, token: TOKEN, retry: { limit: 0 } });
      const { job } = await client.jobs.submit({ type: "text.wordcount", input: { text: "run elsewhere" } });
      await new Promise((r) => setTimeout(r, 300));
      expect((await client.jobs.get(job.id)).status).toBe("queued"); // the API process runs nothing
      worker = await spawnServer(BIN, ["worker", ...common], dir, /worker (wrk_\S+) on/);
      const done = await client.jobs.wait<"text.wordcount">(job.id);
      expect(done.result).toEqual({ words: 2 });
    } finally {
      await worker?.stop();
      await api.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
