import type { ParseArgsConfig } from "node:util";
import type { CliContext } from "./cli-context.ts";
import type { ExitCode } from "./exit-codes.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** A command: its usage line, what it does, its own options and how to load it. */
export interface CommandSpec {
  usage: string;
  summary: string;
  /** Option help lines, shown by `async-jobs CMD --help`. */
  help: string;
  options: Options;
  // Loaded on use: `--help` and usage errors answer without loading the SDK.
  load(): Promise<(ctx: CliContext) => Promise<ExitCode>>;
}

/** Options every command takes. */
export const globalOptions = {
  "base-url": { type: "string" },
  token: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const satisfies Options;

export const globalHelp = `  --base-url URL   server (or ASYNC_JOBS_BASE_URL)
  --token TOKEN    bearer token (or ASYNC_JOBS_TOKEN)
  --json           machine-readable output on stdout, no progress bars
  -h, --help       help (of a command: async-jobs submit --help)
  -v, --version    the CLI's version`;

const jobs = () => import("./job-commands.ts");
const uploads = () => import("./upload-command.ts");

/** Every command, by name. */
export const commands: Record<string, CommandSpec> = {
  submit: {
    usage: "submit --type T [--input JSON|@file.json|@-] [--wait] [--timeout S] [-q]",
    summary: "submit a job; prints its id (only the id when piped or with -q)",
    help: `  --type T                 the job type (required)
  --input JSON|@file|@-    the job's input: JSON, a file, or stdin (default {})
  --wait                   wait for the end with a progress bar, like \`wait\`
  --timeout S              with --wait: give up after S seconds (exit 3)
  -q, --quiet              print only the job id on stdout
  --idempotency-key K      reuse K to make a retried submit safe
  --metadata k=v           repeatable
  --webhook URL            POST a signed event to URL when the job ends
  --max-attempts N         attempts before the job fails`,
    options: {
      type: { type: "string" },
      input: { type: "string" },
      wait: { type: "boolean" },
      timeout: { type: "string" },
      quiet: { type: "boolean", short: "q" },
      "idempotency-key": { type: "string" },
      metadata: { type: "string", multiple: true },
      webhook: { type: "string" },
      "max-attempts": { type: "string" },
    },
    load: async () => (await jobs()).submitCommand,
  },
  wait: {
    usage: "wait JOB_ID [--timeout S]",
    summary: "wait for a job with a progress bar, then print it",
    help: "  --timeout S   give up after S seconds (exit 3)",
    options: { timeout: { type: "string" } },
    load: async () => (await jobs()).waitCommand,
  },
  watch: {
    usage: "watch JOB_ID [--timeout S]",
    summary: "print each change of a job as it happens (--json: one Job per line); exits like wait",
    help: "  --timeout S   give up after S seconds (exit 3)",
    options: { timeout: { type: "string" } },
    load: async () => (await import("./watch-command.ts")).watchCommand,
  },
  get: { usage: "get JOB_ID", summary: "show a job", help: "", options: {}, load: async () => (await jobs()).getCommand },
  cancel: { usage: "cancel JOB_ID", summary: "cancel a job", help: "", options: {}, load: async () => (await jobs()).cancelCommand },
  list: {
    usage: "list [--status S,S] [--type T] [--limit N]",
    summary: "list jobs, newest first",
    help: `  --status S,S   queued, running, succeeded, failed, canceled
  --type T       only this job type
  --limit N      at most N jobs (default 20)`,
    options: { status: { type: "string" }, type: { type: "string" }, limit: { type: "string" } },
    load: async () => (await jobs()).listCommand,
  },
  "job-types": {
    usage: "job-types",
    summary: "the job types the server runs (--json: with their input and result schemas)",
    help: "",
    options: {},
    load: async () => (await jobs()).jobTypesCommand,
  },
  deliveries: {
    usage: "deliveries JOB_ID",
    summary: "the webhook delivery attempts of a job",
    help: "",
    options: {},
    load: async () => (await jobs()).deliveriesCommand,
  },
  download: {
    usage: "download JOB_ID [-o FILE]",
    summary: "download a job's result file (its result.download URL)",
    help: "  -o, --output FILE   where to write it (default: the job id and the URL's extension; - for stdout)",
    options: { output: { type: "string", short: "o" } },
    load: async () => (await import("./download-command.ts")).downloadCommand,
  },
  types: {
    usage: "types [-o FILE]",
    summary: "TypeScript types of the server's job types (from its /openapi.yaml)",
    help: "  -o, --output FILE   where to write them (default: stdout); needs openapi-typescript installed",
    options: { output: { type: "string", short: "o" } },
    load: async () => (await import("./types-command.ts")).typesCommand,
  },
  upload: {
    usage: "upload FILE [--concurrency N] [--part-size BYTES] [--content-type T] [--checksum] [--resume UPLOAD_ID]",
    summary: "a parallel, resumable upload with a bar; prints the upload id",
    help: `  --concurrency N       parts in flight (default 4)
  --part-size BYTES     part size to ask for (default 8 MiB)
  --content-type T      the file's media type
  --checksum            the server verifies the whole file's SHA-256
  --resume UPLOAD_ID    finish an interrupted upload of the same file
  --resume auto         find this file's interrupted upload (by path, size and mtime) and finish it`,
    options: {
      concurrency: { type: "string" },
      "part-size": { type: "string" },
      "content-type": { type: "string" },
      checksum: { type: "boolean" },
      resume: { type: "string" },
    },
    load: async () => (await uploads()).uploadCommand,
  },
  uploads: {
    usage: "uploads list [--limit N] | uploads get|abort UPLOAD_ID",
    summary: "list your pending uploads, or show or abort one",
    help: "  --limit N   list: at most N pending uploads, newest first (default 20)",
    options: { limit: { type: "string" } },
    load: async () => (await uploads()).uploadsCommand,
  },
  listen: {
    usage: "listen --forward-to URL [--port N]",
    summary: "receive webhooks on a local port and forward them, headers and body as sent, to URL",
    help: `  --forward-to URL   your app's webhook endpoint, e.g. http://localhost:3000/webhooks (required)
  --port N           the port to listen on (default: a free one, printed)`,
    options: { "forward-to": { type: "string" }, port: { type: "string" } },
    load: async () => (await import("./listen-command.ts")).listenCommand,
  },
  "verify-webhook": {
    usage: "verify-webhook --secret whsec_... [--secret ...] [--tolerance S] < request",
    summary: 'check a captured webhook: a raw HTTP request or JSON {"headers":{...},"body":"..."} on stdin',
    help: `  --secret whsec_...   repeatable (or ASYNC_JOBS_WEBHOOK_SECRET, comma-separated)
  --tolerance S        accepted clock skew in seconds`,
    options: { secret: { type: "string", multiple: true }, tolerance: { type: "string" } },
    load: async () => (await import("./verify-webhook-command.ts")).verifyWebhookCommand,
  },
};

/** The exit codes, as help prints them. */
export const exitCodeHelp = "Exit codes: 0 succeeded, 1 failed, 2 canceled, 3 timed out, 4 usage, 5 server unreachable, 130 interrupted.";

/** `async-jobs --help`. */
export function mainHelp(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const lines = Object.entries(commands).map(([name, spec]) => `  ${name.padEnd(width)}  ${spec.summary}`);
  return `Usage: async-jobs <command> [options]

Commands:
${lines.join("\n")}

Options:
${globalHelp}

Run "async-jobs <command> --help" for a command's options.
${exitCodeHelp}
`;
}

/** `async-jobs CMD --help`. */
export function commandHelp(name: string, spec: CommandSpec): string {
  return `Usage: async-jobs ${spec.usage}

${spec.summary}
${spec.help ? `\nOptions:\n${spec.help}\n` : ""}
Global options:
${globalHelp}

${exitCodeHelp}
`;
}
