import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createJobsServer, type JobsServer } from "async-jobs-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import jobTypes from "./fixtures/jobs.ts";

// Issue 11's type acceptance: an app's client typed two ways, compiled by tsc in a project of
// its own outside the repo: through JobTypesOf<typeof jobTypes> (one repository), and through
// the types `async-jobs types` generates from the server's served /openapi.yaml (across
// repositories). Both must reject a wrong input field (@ts-expect-error).
const run = promisify(execFile);
const REPO = fileURLToPath(new URL("../../../", import.meta.url));

const CLIENT_CODE = (imports: string) => `${imports}
const client = createClient<AppJobTypes>({ baseUrl: "http://127.0.0.1:1" });

export async function useClient(): Promise<number> {
  const job = await client.jobs.submitAndWait({ type: "text.wordcount", input: { text: "a b" } });
  const words: number = job.result.words;
  const { job: queued } = await client.jobs.submit({ type: "test.limited", input: { ms: 10 } });
  const waited = await client.jobs.wait<"test.limited">(queued.id);
  const started: number = waited.result.startedAt;
  const got = await client.jobs.get(queued.id);
  if (got.type === "text.wordcount") {
    const text: string = got.input.text;
    void text;
  }
  for await (const listed of client.jobs.list()) if (listed.type === "text.wordcount" && listed.result) void listed.result.words;
  // @ts-expect-error wrong input field: text.wordcount takes { text: string }
  await client.jobs.submit({ type: "text.wordcount", input: { txt: "a b" } });
  // @ts-expect-error wrong input type
  await client.jobs.submitAndWait({ type: "text.wordcount", input: { text: 42 } });
  return words + started;
}
`;

describe("typed clients compile, and reject a wrong input field", () => {
  let server: JobsServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "async-jobs-types-"));
    server = await createJobsServer({ store: `sqlite:${join(dir, "jobs.db")}`, blobs: join(dir, "blobs"), jobTypes, worker: false });
  });
  afterAll(async () => {
    await server?.close(0);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("through JobTypesOf<typeof jobTypes> and through `async-jobs types` on the served /openapi.yaml", async () => {
    const url = await server.listen({ port: 0, host: "127.0.0.1" });
    const app = join(dir, "app");
    mkdirSync(join(app, "node_modules"), { recursive: true });
    for (const [name, target] of [["async-jobs", ""], ["async-jobs-server", "reference-server"], ["zod", "node_modules/zod"]] as const) {
      symlinkSync(join(REPO, target), join(app, "node_modules", name), "dir");
    }
    cpSync(join(REPO, "reference-server/test/job-types/fixtures/jobs.ts"), join(app, "jobs.ts"));
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022", module: "ESNext", moduleResolution: "Bundler", strict: true, noEmit: true, skipLibCheck: true,
          allowImportingTsExtensions: true, customConditions: ["async-jobs-source"], lib: ["ES2022", "DOM", "DOM.Iterable"],
          types: ["node"], typeRoots: [join(REPO, "node_modules/@types")],
        },
        files: ["typed-by-job-types-of.ts", "typed-by-openapi.ts"],
      }),
    );

    // The one-step generator: the SDK's CLI (from source, as a clone runs it).
    await run(process.execPath, [join(REPO, "bin/async-jobs.js"), "types", "--base-url", url, "-o", join(app, "job-types.d.ts")], { timeout: 60_000 });
    const generated = readFileSync(join(app, "job-types.d.ts"), "utf8");
    expect(generated).toContain('type: "text.wordcount"');
    expect(generated).toContain("export type JobTypes");

    writeFileSync(
      join(app, "typed-by-job-types-of.ts"),
      CLIENT_CODE(`import { createClient } from "async-jobs";\nimport type { JobTypesOf } from "async-jobs-server";\nimport type jobTypes from "./jobs.ts";\ntype AppJobTypes = JobTypesOf<typeof jobTypes>;`),
    );
    writeFileSync(
      join(app, "typed-by-openapi.ts"),
      CLIENT_CODE(`import { createClient } from "async-jobs";\nimport type { JobTypes as AppJobTypes } from "./job-types";`),
    );
    const tsc = (project: string) =>
      run(process.execPath, [join(REPO, "node_modules/typescript/bin/tsc"), "-p", project], { timeout: 120_000 }).then(
        () => "",
        (error: { stdout?: string }) => error.stdout ?? String(error),
      );
    expect(await tsc(app)).toBe("");

    // The expect-errors are real: without them, both clients fail on the wrong field.
    for (const file of ["typed-by-job-types-of.ts", "typed-by-openapi.ts"]) {
      const path = join(app, file);
      writeFileSync(path, readFileSync(path, "utf8").replace(/^\s*\/\/ @ts-expect-error.*$/gm, ""));
    }
    const errors = await tsc(app);
    expect(errors).toMatch(/typed-by-job-types-of\.ts\(\d+,\d+\): error TS\d+:[^\n]*txt/);
    expect(errors).toMatch(/typed-by-openapi\.ts\(\d+,\d+\): error TS\d+:[^\n]*txt/);
    expect(errors.match(/error TS/g)?.length).toBe(4);
  }, 240_000);
});
