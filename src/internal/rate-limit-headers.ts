import type { RateLimitInfo } from "../errors.ts";

/** The items of a Structured Fields List with their parameters; `undefined` when malformed (then ignored whole, as the draft says). */
function parseList(value: string | null): [string, Record<string, string>][] | undefined {
  const items: [string, Record<string, string>][] = [];
  for (const part of value?.match(/(?:"[^"]*"|[^,])+/g) ?? []) {
    const [name, ...rest] = part.trim().split(";");
    // The item is a "string" or a token.
    if (!/^("[^"]*"|[A-Za-z*][^"=\s]*)$/.test(name!)) return undefined;
    const params: Record<string, string> = {};
    for (const param of rest) {
      const [key, raw = "?1"] = param.trim().split("=");
      params[key!] = raw.replace(/"/g, "");
    }
    items.push([name!.replace(/"/g, ""), params]);
  }
  return items;
}

const integer = (value: string | undefined) => (value && /^\d+$/.test(value) ? Number(value) : undefined);

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
  const [current] = (parseList(headers.get("ratelimit")) ?? [])
    .filter(([, p]) => integer(p.r) !== undefined)
    .sort((a, b) => Number(a[1].r) - Number(b[1].r));
  if (!current) return undefined;
  const [policy, params] = current;
  const declared = parseList(headers.get("ratelimit-policy"))?.find(([name]) => name === policy)?.[1] ?? {};
  const info: RateLimitInfo = { policy, remaining: Number(params.r) };
  const optional = { resetSeconds: integer(params.t), quota: integer(declared.q), windowSeconds: integer(declared.w) };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) info[key as keyof typeof optional] = value;
  return info;
}
