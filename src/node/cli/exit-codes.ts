/**
 * The CLI's exit codes, for shells: `async-jobs wait "$id"; case $? in 1) … esac`.
 *
 * @example
 * process.exitCode = exitCodes.canceled
 */
export const exitCodes = {
  /** The command worked; for `submit --wait` and `wait`, the job succeeded. */
  succeeded: 0,
  /** The job failed, or the request failed (an API error, no connection, a bad webhook). */
  failed: 1,
  /** The job ended canceled. */
  canceled: 2,
  /** `--timeout` passed before the job ended. */
  timedOut: 3,
  /** The command line is wrong (unknown option, missing argument, bad JSON). */
  usage: 4,
} as const;

/** One of {@link exitCodes}. */
export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/**
 * A command-line mistake: printed with the usage text, exit code 4.
 *
 * @example
 * throw new UsageError("submit needs --type")
 */
export class UsageError extends Error {
  override name = "UsageError";
}
