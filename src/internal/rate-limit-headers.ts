import type { RateLimitInfo } from "../errors.ts";

/** One structured-field item: its bare value and its `;key=value` parameters. */
interface SfItem {
  name: string;
  params: Map<string, string>;
}

// An item of a structured-field List: a token or "string", then ;key=value parameters.
const ITEM = /^\s*("(?:[^"\\]|\\.)*"|[A-Za-z*][\w:/!#$%&'*+.^`|~-]*)((?:\s*;\s*[a-z*][a-z0-9_.*-]*(?:=(?:"(?:[^"\\]|\\.)*"|[^;,\s]+))?)*)\s*$/;

function parseList(value: string | null): SfItem[] | undefined {
  if (!value) return undefined;
  const items: SfItem[] = [];
  for (const part of value.match(/(?:"(?:[^"\\]|\\.)*"|[^,])+/g) ?? []) {
    const match = ITEM.exec(part);
    if (!match) return undefined; // malformed fields are ignored whole (the draft says MUST)
    const params = new Map<string, string>();
    for (const param of match[2]!.split(";").slice(1)) {
      const [key, raw = "?1"] = param.trim().split("=") as [string, string?];
      params.set(key, raw.replace(/^"|"$/g, ""));
    }
    items.push({ name: match[1]!.replace(/^"|"$/g, ""), params });
  }
  return items.length > 0 ? items : undefined;
}

const integer = (value: string | undefined) => (value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined);

/**
 * The server's `RateLimit` and `RateLimit-Policy` fields (draft-ietf-httpapi-ratelimit-headers,
 * structured fields), or `undefined` when it sent no usable `RateLimit`. With several policies,
 * the one with the fewest units left.
 *
 * @example
 * parseRateLimit(new Headers({ ratelimit: '"submit";r=0;t=12', "ratelimit-policy": '"submit";q=10;w=60' }))
 * // { policy: "submit", remaining: 0, resetSeconds: 12, quota: 10, windowSeconds: 60 }
 */
export function parseRateLimit(headers: Headers): RateLimitInfo | undefined {
  const current = parseList(headers.get("ratelimit"))
    ?.map((item) => ({ item, remaining: integer(item.params.get("r")) }))
    .filter((c): c is { item: SfItem; remaining: number } => c.remaining !== undefined)
    .sort((a, b) => a.remaining - b.remaining)[0];
  if (!current) return undefined;
  const policy = parseList(headers.get("ratelimit-policy"))?.find((p) => p.name === current.item.name);
  const info: RateLimitInfo = { policy: current.item.name, remaining: current.remaining };
  const reset = integer(current.item.params.get("t"));
  if (reset !== undefined) info.resetSeconds = reset;
  const quota = integer(policy?.params.get("q"));
  if (quota !== undefined) info.quota = quota;
  const window = integer(policy?.params.get("w"));
  if (window !== undefined) info.windowSeconds = window;
  return info;
}
