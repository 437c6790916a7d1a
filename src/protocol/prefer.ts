/** The preferences of a `Prefer` header this protocol reads (RFC 7240; spec §2). */
export interface Preferences {
  /** `respond-async` was asked for. */
  respondAsync: boolean;
  /** The `wait` preference in seconds, or undefined when absent or not a whole number. */
  wait: number | undefined;
}

/**
 * Reads a `Prefer` header (spec §2): preferences separated by `,` or `;` (so `respond-async;
 * wait=5` counts its wait, as clients write it), names case-insensitive, optional whitespace
 * around `;`, `,` and `=`, several header values read as one list. A malformed or absent `wait`
 * is ignored, never an error: a preference a server cannot use is not a refusal. The first
 * `wait` wins.
 *
 * @example
 * parsePrefer("respond-async; wait = 5") // { respondAsync: true, wait: 5 }
 * parsePrefer(["handling=lenient", "wait=x"]) // { respondAsync: false, wait: undefined }
 */
export function parsePrefer(header: string | readonly string[] | null | undefined): Preferences {
  const preferences: Preferences = { respondAsync: false, wait: undefined };
  if (header === null || header === undefined) return preferences;
  const text = typeof header === "string" ? header : header.join(",");
  for (const preference of text.split(/[,;]/)) {
    const eq = preference.indexOf("=");
    const name = (eq < 0 ? preference : preference.slice(0, eq)).trim().toLowerCase();
    if (name === "respond-async") preferences.respondAsync = true;
    else if (name === "wait" && eq >= 0 && preferences.wait === undefined) {
      // A quoted value is the same value (RFC 7240 allows a quoted-string).
      const value = /^\s*(?:(\d{1,10})|"(\d{1,10})")\s*$/.exec(preference.slice(eq + 1));
      if (value) preferences.wait = Number(value[1] ?? value[2]);
    }
  }
  return preferences;
}

/**
 * The `wait` a server honours: the asked seconds capped at `capSeconds`, or undefined when the
 * request asked none (spec §2). The answer then says `Preference-Applied: wait=<that>`.
 *
 * @example
 * preferredWait("respond-async, wait=30", 20) // 20
 */
export function preferredWait(header: string | readonly string[] | null | undefined, capSeconds: number): number | undefined {
  // Most status reads carry no Prefer, and clients send a bare `wait=N`: both without a full parse.
  if (header === null || header === undefined || header.length === 0) return undefined;
  const simple = typeof header === "string" ? /^wait=(\d{1,10})$/.exec(header) : null;
  if (simple) return Math.min(Number(simple[1]), capSeconds);
  const { wait } = parsePrefer(header);
  return wait === undefined ? undefined : Math.min(wait, capSeconds);
}

/**
 * The `wait` preference as written in `Prefer` (client) and `Preference-Applied` (server).
 *
 * @example
 * formatWaitPreference(20) // "wait=20"
 */
export function formatWaitPreference(seconds: number): string {
  return `wait=${seconds}`;
}
