import { parseArgs } from "node:util";
import { isApiError, isAsyncJobsError } from "../../errors.ts";
import { createCliContext, type CliContext, type CliIo } from "./cli-context.ts";
import { exitCodes, UsageError, type ExitCode } from "./exit-codes.ts";

/** The help text. */
export const usage = `Usage: async-jobs <command> [options]

Commands:
  submit --type T [--input JSON|@file.json|@-] [--wait] [--timeout S]
         [--idempotency-key K] [--metadata k=v]... [--webhook URL] [--max-attempts N]
  wait ID [--timeout S]           wait for a job with a progress bar
  get ID                          show a job
  cancel ID                       cancel a job
  list [--status S,S] [--type T] [--limit N]
  upload FILE [--concurrency N] [--part-size BYTES] [--content-type T] [--checksum] [--resume ID]
  types [-o FILE]                 TypeScript types of the server's job types (from its /openapi.yaml)
  verify-webhook --secret whsec_... [--secret ...] [--tolerance S] < request
                                  stdin: a raw HTTP request, or JSON {"headers":{...},"body":"..."}

Options:
  --base-url URL   server (or ASYNC_JOBS_BASE_URL)
  --token TOKEN    bearer token (or ASYNC_JOBS_TOKEN)
  --json           machine-readable output on stdout, no progress bars
  -h, --help       this text

Exit codes: 0 succeeded, 1 failed, 2 canceled, 3 timed out, 4 usage.
`;

type Command = (ctx: CliContext) => Promise<ExitCode>;
// Loaded on use: `--help` and usage errors answer without loading the SDK.
const commands: Record<string, () => Promise<Command>> = {
  submit: async () => (await import("./job-commands.ts")).submitCommand,
  wait: async () => (await import("./job-commands.ts")).waitCommand,
  get: async () => (await import("./job-commands.ts")).getCommand,
  cancel: async () => (await import("./job-commands.ts")).cancelCommand,
  list: async () => (await import("./job-commands.ts")).listCommand,
  upload: async () => (await import("./upload-command.ts")).uploadCommand,
  "verify-webhook": async () => (await import("./verify-webhook-command.ts")).verifyWebhookCommand,
  types: async () => (await import("./types-command.ts")).typesCommand,
};

const options = {
  "base-url": { type: "string" },
  token: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  type: { type: "string" },
  input: { type: "string" },
  wait: { type: "boolean" },
  timeout: { type: "string" },
  "idempotency-key": { type: "string" },
  metadata: { type: "string", multiple: true },
  webhook: { type: "string" },
  "max-attempts": { type: "string" },
  status: { type: "string" },
  limit: { type: "string" },
  concurrency: { type: "string" },
  "part-size": { type: "string" },
  "content-type": { type: "string" },
  checksum: { type: "boolean" },
  resume: { type: "string" },
  secret: { type: "string", multiple: true },
  tolerance: { type: "string" },
  output: { type: "string", short: "o" },
} as const;

/**
 * Runs the `async-jobs` CLI and returns its exit code (0 succeeded, 1 failed, 2 canceled,
 * 3 timed out, 4 usage).
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env })
 */
export async function runCli(argv: string[], io: CliIo): Promise<ExitCode> {
  let ctx: CliContext | undefined;
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const [name, ...args] = parsed.positionals;
    if (parsed.values.help || name === "help") {
      io.stdout.write(usage);
      return exitCodes.succeeded;
    }
    if (!name) throw new UsageError("missing command");
    const load = commands[name];
    if (!load) throw new UsageError(`unknown command "${name}"`);
    ctx = createCliContext(io, parsed.values, args);
    return await (await load())(ctx);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`error: ${error.message}\n\n${usage}`);
      return exitCodes.usage;
    }
    if (isApiError(error)) {
      const fields = error.problem.errors?.map((e) => `\n  ${e.path}: ${e.message}`).join("") ?? "";
      if (ctx?.json) io.stdout.write(`${JSON.stringify({ error: error.problem }, null, 2)}\n`);
      io.stderr.write(`error: ${error.message}${fields}${error.requestId ? `\n  request id: ${error.requestId}` : ""}\n`);
      return exitCodes.failed;
    }
    if (isAsyncJobsError(error)) {
      io.stderr.write(`error: ${error.message}\n`);
      return exitCodes.failed;
    }
    io.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return exitCodes.failed;
  }
}
