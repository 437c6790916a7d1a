import { invalidRequest, ProblemError } from "./problem-response.ts";

/**
 * Reads a JSON body the way the contract demands (spec §1): `415` for another media type,
 * `413` over the limit, `400 malformed_json` for bad JSON.
 *
 * @example
 * const body = await readJsonBody(request, 1024 * 1024);
 */
export async function readJsonBody(request: Request, limit: number): Promise<unknown> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/(?:json|[^\s;/]+\+json)\s*(?:;|$)/i.test(type)) {
    throw new ProblemError(415, "unsupported_media_type", `Expected application/json, got ${type || "nothing"}.`);
  }
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.length > limit) throw new ProblemError(413, "payload_too_large", `The body is over ${limit} bytes.`);
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw new ProblemError(400, "malformed_json", e instanceof Error ? e.message : "Malformed JSON.");
  }
}

/**
 * The `Idempotency-Key`, quoted (structured-field string) or bare: both forms are one key
 * (spec §2). Outside 1-255 printable ASCII characters it is `400 invalid_request`.
 *
 * @example
 * idempotencyKey(new Headers({ "idempotency-key": '"k1"' })) // "k1"
 */
export function idempotencyKey(headers: Headers): string | undefined {
  const raw = headers.get("idempotency-key");
  if (raw === null) return undefined;
  const m = /^(?:"([\x20-\x7E]{1,255})"|([\x20-\x7E]{1,255}))$/.exec(raw);
  if (!m) throw invalidRequest("Idempotency-Key", "must be 1-255 printable ASCII characters");
  return m[1] ?? m[2];
}

/**
 * The `wait=N` preference in seconds, capped (RFC 7240; spec §2), or undefined.
 *
 * @example
 * preferWait(new Headers({ prefer: "respond-async, wait=30" }), 20) // 20
 */
export function preferWait(headers: Headers, cap: number): number | undefined {
  const m = /(?:^|[,;\s])wait=(\d+)/i.exec(headers.get("prefer") ?? "");
  return m ? Math.min(Number(m[1]), cap) : undefined;
}

/**
 * Canonical JSON (sorted keys, no whitespace): the idempotency fingerprint ignores key order
 * and insignificant whitespace (spec §2).
 *
 * @example
 * canonicalJson({ b: 1, a: [2] }) // '{"a":[2],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
