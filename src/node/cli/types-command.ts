import { writeFile } from "node:fs/promises";
import type { CliContext } from "./cli-context.ts";
import { exitCodes, type ExitCode, UsageError } from "./exit-codes.ts";

/**
 * Appended to openapi-typescript's output: the job type map `createClient<JobTypes>()` takes,
 * read off the served `Job` union (one variant per job type, discriminated by its `type`
 * constant; the catch-all `CustomJob` has a plain `string` type and drops out).
 */
const JOB_TYPES_MAP = `
type JobVariant = components["schemas"]["Job"];
/** This server's job types, for \`createClient<JobTypes>()\` of async-jobs. */
export type JobTypes = {
  [J in JobVariant as J extends { type: infer N extends string } ? (string extends N ? never : N) : never]: {
    input: J extends { input: infer I } ? I : never;
    result: J extends { result: infer R } ? Exclude<R, null> : never;
  };
};
`;

/**
 * `async-jobs types --base-url URL [-o FILE]`: fetches the server's own `GET /openapi.yaml`
 * (its job types' schemas in it), turns it into TypeScript with openapi-typescript, and adds
 * the `JobTypes` map for `createClient<JobTypes>()`.
 *
 * @example
 * // async-jobs types --base-url https://jobs.example.com -o src/job-types.d.ts
 */
export async function typesCommand(ctx: CliContext): Promise<ExitCode> {
  const baseUrl = (ctx.values["base-url"] as string | undefined) ?? ctx.io.env.ASYNC_JOBS_BASE_URL;
  if (!baseUrl) throw new UsageError("no server: pass --base-url URL or set ASYNC_JOBS_BASE_URL");
  const url = `${baseUrl.replace(/\/+$/, "")}/openapi.yaml`;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  const spec = await response.text();
  // An optional peer: only this command needs it (and TypeScript), the SDK never does.
  const generator = await import("openapi-typescript").catch(() => {
    throw new UsageError("async-jobs types needs openapi-typescript: npm i -D openapi-typescript typescript");
  });
  const source = `${generator.astToString(await generator.default(spec))}${JOB_TYPES_MAP}`;
  const output = ctx.values.output as string | undefined;
  if (output) {
    await writeFile(output, source);
    ctx.io.stderr.write(`wrote ${output} from ${url}\n`);
  } else {
    ctx.io.stdout.write(source);
  }
  return exitCodes.succeeded;
}
