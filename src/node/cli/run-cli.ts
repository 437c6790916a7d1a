import { parseArgs } from "node:util";
import { isApiError, isAsyncJobsError, isTimeoutError } from "../../errors.ts";
import { createCliContext, type CliContext, type CliIo } from "./cli-context.ts";
import { cliVersion } from "./cli-version.ts";
import { commandHelp, commands, globalOptions, mainHelp } from "./commands.ts";
import { exitCodes, UsageError, type ExitCode } from "./exit-codes.ts";
import { describeNetworkError, isUnreachable } from "./network-cause.ts";

/** The help text of the whole CLI. */
export const usage = mainHelp();

const allOptions = Object.assign({}, globalOptions, ...Object.values(commands).map((c) => c.options));

/** parseArgs' messages, shortened: "Unknown option '--bogus'. To specify…" → "unknown option --bogus". */
function usageMessage(error: Error & { code?: string }, command: string | undefined): string {
  const first = error.message.split(". ")[0]!.replace(/'/g, "");
  const scope = command && commands[command] ? ` for "${command}"` : "";
  if (error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `${first.replace(/^Unknown option/, "unknown option")}${scope}`;
  return first.charAt(0).toLowerCase() + first.slice(1);
}

/**
 * Runs the `async-jobs` CLI and returns its exit code (see exit-codes.ts). With `signals`, Ctrl-C
 * restores the terminal and prints how to continue (`async-jobs wait job_…`) before exiting 130.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env })
 */
export async function runCli(argv: string[], io: CliIo, runtime: { signals?: boolean } = {}): Promise<ExitCode> {
  let ctx: CliContext | undefined;
  // The command name is the first positional, wherever the global options are.
  const name = parseArgs({ args: argv, options: allOptions, allowPositionals: true, strict: false }).positionals[0];
  const spec = name === undefined ? undefined : commands[name];
  const shortUsage = spec ? `usage: async-jobs ${spec.usage}\nrun "async-jobs ${name} --help" for more` : 'run "async-jobs --help" for the commands';
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: { ...globalOptions, ...spec?.options }, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError(usageMessage(error as Error, name));
    }
    if (parsed.values.version) {
      io.stdout.write(`async-jobs ${cliVersion()}\n`);
      return exitCodes.succeeded;
    }
    if (name === "help" || (parsed.values.help && !spec)) {
      const topic = name === "help" ? parsed.positionals[1] : undefined;
      io.stdout.write(topic && commands[topic] ? commandHelp(topic, commands[topic]) : usage);
      return exitCodes.succeeded;
    }
    if (!name) throw new UsageError("missing command");
    if (!spec) throw new UsageError(`unknown command "${name}"`);
    if (parsed.values.help) {
      io.stdout.write(commandHelp(name, spec));
      return exitCodes.succeeded;
    }
    ctx = createCliContext(io, parsed.values, parsed.positionals.slice(1));
    const uninstall = runtime.signals ? onInterrupt(ctx) : () => {};
    try {
      return await (await spec.load())(ctx);
    } finally {
      uninstall();
    }
  } catch (error) {
    return reportError(error, io, ctx, shortUsage);
  }
}

/** Maps an error to its message and exit code: one place for every command. */
function reportError(error: unknown, io: CliIo, ctx: CliContext | undefined, shortUsage: string): ExitCode {
  if (error instanceof UsageError) {
    io.stderr.write(`error: ${error.message}\n${shortUsage}\n`);
    return exitCodes.usage;
  }
  ctx?.stopBars();
  if (isApiError(error)) {
    const fields = error.problem.errors?.map((e) => `\n  ${e.path}: ${e.message}`).join("") ?? "";
    if (ctx?.json) io.stdout.write(`${JSON.stringify({ error: error.problem }, null, 2)}\n`);
    io.stderr.write(`error: ${error.message}${fields}${error.requestId ? `\n  request id: ${error.requestId}` : ""}\n`);
    return exitCodes.failed;
  }
  if (isUnreachable(error) || (isTimeoutError(error) && ctx?.lastNetworkError)) {
    const message = describeNetworkError(isUnreachable(error) ? error : ctx!.lastNetworkError, ctx?.baseUrl());
    if (ctx?.json) io.stdout.write(`${JSON.stringify({ error: { code: "unreachable", detail: message } }, null, 2)}\n`);
    io.stderr.write(`error: ${message}${ctx?.resumeHint ? `\nonce it is back: ${ctx.resumeHint}` : ""}\n`);
    return exitCodes.network;
  }
  if (isAsyncJobsError(error)) {
    io.stderr.write(`error: ${error.message}\n`);
    return exitCodes.failed;
  }
  io.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return exitCodes.failed;
}

/**
 * Ctrl-C: stop the bars, give the terminal back (cursor, line wrap) and say how to continue;
 * the job or upload goes on without this process. A second Ctrl-C is not needed: this exits.
 */
function onInterrupt(ctx: CliContext): () => void {
  const handler = () => {
    ctx.stopBars();
    ctx.restoreTerminal();
    const hint = ctx.resumeHint;
    ctx.io.stderr.write(`\ninterrupted${hint ? `; continue with:\n  ${hint}` : ""}\n`);
    process.exit(exitCodes.interrupted);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}
