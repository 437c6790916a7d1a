import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

const blocked = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16],
  ["172.16.0.0", 12], ["192.0.0.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15], ["224.0.0.0", 3],
] as const) blocked.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [["::", 128], ["::1", 128], ["fc00::", 7], ["fe80::", 10], ["ff00::", 8], ["64:ff9b::", 96]] as const) {
  blocked.addSubnet(net, prefix, "ipv6");
}

/**
 * True for private, loopback, link-local, multicast and other non-public addresses, including
 * IPv4-mapped IPv6 forms of them.
 *
 * @example
 * isPrivateAddress("10.1.2.3"); // true
 */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1]!, "ipv4");
  const family = isIP(address);
  if (family === 0) return true;
  return blocked.check(address, family === 4 ? "ipv4" : "ipv6");
}

/**
 * Why a webhook URL is refused, or `undefined` when it may be used (spec §3): it must be
 * http(s) and every address its host resolves to must be public, unless private ones are allowed.
 *
 * @example
 * await checkWebhookUrl("http://127.0.0.1/hook", { allowPrivate: false }); // "…resolves to a private…"
 */
export async function checkWebhookUrl(
  url: string,
  options: { allowPrivate: boolean; resolve?: (host: string) => Promise<string[]> },
): Promise<string | undefined> {
  // The URL parser would quietly percent-encode control characters; a URL that holds one was
  // not meant as an address (and U+0000 cannot even be stored in Postgres TEXT).
  if (/[\u0000-\u001f\u007f]/.test(url)) return "The webhook URL must not contain control characters.";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "The webhook URL is not a valid URL.";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return "The webhook URL must be http or https.";
  if (parsed.username || parsed.password) return "The webhook URL must not carry credentials.";
  if (options.allowPrivate) return undefined;
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  let addresses: string[];
  try {
    addresses = isIP(host)
      ? [host]
      : await (options.resolve ?? (async (h) => (await lookup(h, { all: true, verbatim: true })).map((a) => a.address)))(host);
  } catch {
    return `The webhook host ${host} does not resolve.`;
  }
  if (addresses.length === 0) return `The webhook host ${host} does not resolve.`;
  const bad = addresses.find(isPrivateAddress);
  if (bad) return `The webhook host ${host} resolves to a private, loopback or link-local address (${bad}).`;
  return undefined;
}
