/**
 * Opaque list cursors: the id of the last job on a page (ids sort by creation time, so a page
 * never repeats or skips a job that existed when the first page was read).
 *
 * @example
 * decodeCursor(encodeCursor("job_01J")); // "job_01J"
 */
export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ v: 1, before: lastId })).toString("base64url");
}

/** The id a cursor continues before, or `undefined` when it is not one of ours. */
export function decodeCursor(cursor: string): string | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (typeof value === "object" && value !== null && (value as { v?: unknown }).v === 1) {
      const before = (value as { before?: unknown }).before;
      if (typeof before === "string" && before.length > 0 && before.length <= 255) return before;
    }
  } catch {
    // fall through: not a cursor of ours
  }
  return undefined;
}
