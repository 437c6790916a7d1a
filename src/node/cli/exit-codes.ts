/**
 * The CLI's exit codes, for shells: `async-jobs wait "$id"; case $? in 1) … esac`.
 *
 * @example
 * process.exitCode = exitCodes.canceled
 */
export const exitCodes = {
  /** The command worked; for `submit --wait` and `wait`, the job succeeded. */
  succeeded: 0,
  /** The job failed, or the server refused the request (an API error), or a webhook is invalid. */
  failed: 1,
  /** The job ended canceled. */
  canceled: 2,
  /** `--timeout` passed before the job ended. */
  timedOut: 3,
  /** The command line is wrong (unknown option, missing argument, bad JSON). */
  usage: 4,
  /** No server answered (ECONNREFUSED, ENOTFOUND, a timeout): nothing was decided, try again. */
  network: 5,
  /** Ctrl-C: the job or upload goes on; the printed command continues it (128 + SIGINT). */
  interrupted: 130,
} as const;

/** One of {@link exitCodes}. */
export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/**
 * A command-line mistake: printed with the command's usage line, exit code 4.
 *
 * @example
 * throw new UsageError("submit needs --type")
 */
export class UsageError extends Error {
  override name = "UsageError";
}
