/**
 * The server's default log line: the message, then the error. An error that carries a `code`
 * (a database's SQLSTATE, a socket's `ECONNREFUSED`) is an expected fault of the environment, so
 * it gets one line (message, code, and its cause's); anything else is a bug and keeps its stack.
 *
 * @example
 * logToStderr("outbox claim failed", error); // "outbox claim failed: The database is unreachable; retry shortly. ← terminating connection … (57P01)"
 */
export function logToStderr(message: string, error?: unknown): void {
  console.error(error === undefined ? message : `${message}: ${describeError(error)}`);
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const cause = error.cause === undefined ? "" : ` ← ${describeError(error.cause)}`;
  if (typeof code === "string") return `${error.message} (${code})${cause}`;
  if (error.cause !== undefined && /^Store\w+Error$/.test(error.name)) return `${error.message}${cause}`;
  return error.stack ?? error.message;
}
