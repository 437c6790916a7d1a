import type { AsyncJobsClient } from "../../client/create-client.ts";
import { createClient } from "../../client/create-client.ts";
import { UsageError } from "./exit-codes.ts";
import { isUnreachable } from "./network-cause.ts";
import type { ProgressBar } from "./progress-bars.ts";
import { restoreTerminal } from "./terminal.ts";

/** The streams and environment a command runs with. */
export interface CliIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: Record<string, string | undefined>;
}

/** Parsed options: `node:util` parseArgs values. */
export type CliValues = Record<string, string | boolean | string[] | undefined>;

/** What every command gets. */
export interface CliContext {
  io: CliIo;
  values: CliValues;
  /** Positionals after the command name. */
  args: string[];
  /** `--json`: machine output on stdout, no bars. */
  json: boolean;
  /** The SDK client from `--base-url`/`--token` or `ASYNC_JOBS_BASE_URL`/`ASYNC_JOBS_TOKEN`. */
  client(): AsyncJobsClient;
  /** The server's URL, when one is configured. */
  baseUrl(): string | undefined;
  /** Writes a value as JSON (with `--json`) or as text. */
  print(json: unknown, text: string): void;
  /** A line for people on stderr (ids, hints): never mixed into stdout's data. */
  note(text: string): void;
  /** How to continue what this command started (`async-jobs wait job_…`), printed on Ctrl-C. */
  resumeHint: string | undefined;
  /** The last request that got no answer at all, cleared by the next answer. */
  lastNetworkError: unknown;
  /** Whether any request got an answer yet (a server that never answered fails fast). */
  reached: boolean;
  /** Called when a request gets no answer (the wait commands decide whether to keep going). */
  onNetworkError: ((error: unknown) => void) | undefined;
  /** Tracks a bar so that errors and Ctrl-C stop it and give the terminal back. */
  track<T>(bar: ProgressBar<T>): ProgressBar<T>;
  stopBars(): void;
  restoreTerminal(): void;
}

/**
 * Builds the context. Flags win over the environment; the CLI reads env, the SDK never does.
 *
 * @example
 * const ctx = createCliContext(io, values, ["job_1"]);
 */
export function createCliContext(io: CliIo, values: CliValues, args: string[]): CliContext {
  let client: AsyncJobsClient | undefined;
  const json = values.json === true;
  const bars = new Set<ProgressBar<never>>();
  const baseUrl = () => (values["base-url"] as string | undefined) ?? io.env.ASYNC_JOBS_BASE_URL;
  const ctx: CliContext = {
    io,
    values,
    args,
    json,
    baseUrl,
    client() {
      const url = baseUrl();
      if (!url) throw new UsageError("no server: pass --base-url URL or set ASYNC_JOBS_BASE_URL");
      const token = (values.token as string | undefined) ?? io.env.ASYNC_JOBS_TOKEN;
      // Watches every request, so a command can tell "no server" from "server said no".
      const watchedFetch: typeof fetch = (input, init) =>
        globalThis.fetch(input, init).then(
          (response) => {
            ctx.reached = true;
            ctx.lastNetworkError = undefined;
            return response;
          },
          (error: unknown) => {
            if (isUnreachable(error)) {
              ctx.lastNetworkError = error;
              ctx.onNetworkError?.(error);
            }
            throw error;
          },
        );
      client ??= createClient({ baseUrl: url, token, userAgent: "async-jobs-cli", fetch: watchedFetch });
      return client;
    },
    print(value, text) {
      io.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
    },
    note(text) {
      io.stderr.write(`${text}\n`);
    },
    resumeHint: undefined,
    lastNetworkError: undefined,
    reached: false,
    onNetworkError: undefined,
    track(bar) {
      bars.add(bar as ProgressBar<never>);
      return bar;
    },
    stopBars() {
      for (const bar of bars) bar.stop();
      bars.clear();
    },
    restoreTerminal() {
      restoreTerminal(io.stderr);
    },
  };
  return ctx;
}

/**
 * A string option, or a usage error when it is required and missing.
 *
 * @example
 * const type = stringOption(ctx, "type", true)
 */
export function stringOption(ctx: CliContext, name: string, required: true): string;
export function stringOption(ctx: CliContext, name: string, required?: false): string | undefined;
export function stringOption(ctx: CliContext, name: string, required = false): string | undefined {
  const value = ctx.values[name];
  if (typeof value === "string") return value;
  if (required) throw new UsageError(`--${name} is required`);
  return undefined;
}

/**
 * A positive number option (`--timeout 30`), or undefined.
 *
 * @example
 * const seconds = numberOption(ctx, "timeout")
 */
export function numberOption(ctx: CliContext, name: string): number | undefined {
  const value = stringOption(ctx, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got "${value}"`);
  return n;
}

/**
 * The one positional a command needs (`wait ID`).
 *
 * @example
 * const id = positional(ctx, "ID")
 */
export function positional(ctx: CliContext, name: string): string {
  const [value, ...rest] = ctx.args;
  if (value === undefined) throw new UsageError(`missing ${name}`);
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(" ")}`);
  return value;
}

/**
 * Reads a whole stream (stdin) into bytes.
 *
 * @example
 * const bytes = await readAll(process.stdin)
 */
export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
