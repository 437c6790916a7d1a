import { isIP } from "node:net";

/**
 * Checks a `--public-url`: the origin clients use (`https://jobs.example.com`), with no path,
 * query or fragment. Signed part and download URLs are built from it, never from a request's
 * `Host`, so a server behind a TLS-terminating proxy hands out URLs clients can reach.
 * Returns the origin without a trailing slash; throws a message for the CLI otherwise.
 *
 * @example
 * parsePublicUrl("https://jobs.example.com/"); // "https://jobs.example.com"
 */
export function parsePublicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`--public-url must be an absolute URL such as https://jobs.example.com, got "${value}"`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error(`--public-url must be http(s), got "${value}"`);
  if (url.pathname !== "/" || url.search || url.hash || url.username || url.password) {
    throw new Error(`--public-url is an origin only (scheme, host, port), got "${value}"`);
  }
  return url.origin;
}

/**
 * Checks a `--trust-proxy` list: the addresses or CIDR ranges of the proxies whose
 * `X-Forwarded-For`, `-Proto` and `-Host` are believed (fastify's `trustProxy`). Anyone else's
 * `X-Forwarded-*` is ignored, so a client cannot pose as HTTPS or as another host.
 *
 * @example
 * parseTrustProxy("127.0.0.1, 10.0.0.0/8"); // "127.0.0.1,10.0.0.0/8"
 */
export function parseTrustProxy(value: string): string {
  const entries = value.split(",").map((s) => s.trim()).filter(Boolean);
  for (const entry of entries) {
    const [address, bits, ...rest] = entry.split("/");
    const family = isIP(address ?? "");
    const max = family === 6 ? 128 : 32;
    const goodBits = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= max);
    if (family === 0 || !goodBits || rest.length > 0) {
      throw new Error(`--trust-proxy takes proxy addresses or CIDR ranges (127.0.0.1,10.0.0.0/8), got "${entry}"`);
    }
  }
  return entries.join(",");
}
