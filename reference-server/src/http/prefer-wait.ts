/**
 * The `wait` preference of a `Prefer` header (RFC 7240) in seconds, capped; `undefined` when
 * absent or unreadable (a preference a server cannot use is ignored, never an error).
 *
 * @example
 * preferredWait("respond-async, wait=30", 20); // 20
 */
export function preferredWait(header: string | string[] | undefined, capS: number): number | undefined {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  for (const value of values) {
    for (const preference of value.split(",")) {
      const match = /^\s*wait\s*=\s*"?(\d{1,10})"?\s*(?:;.*)?$/i.exec(preference);
      if (match) return Math.min(Number(match[1]), capS);
    }
  }
  return undefined;
}
