import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/** Resolves a host name to all its addresses (tests inject one; by default the OS resolver). */
export type ResolveHost = (host: string) => Promise<string[]>;

/** The OS resolver, every address, in the order the OS gives them. */
export const resolveWithOs: ResolveHost = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

// IPv6 ranges that carry an IPv4 address in their low 32 bits: judged by that IPv4 address.
const EMBEDS_IPV4_LOW = new Set(["ipv4Mapped", "rfc6145"]);

/**
 * True for every address that is not plain public unicast: private, loopback, link-local,
 * multicast, reserved and documentation ranges, and IPv6 forms that reach IPv4 or another
 * network behind the server: IPv4-compatible `::/96`, NAT64 `64:ff9b::/96` and `64:ff9b:1::/48`,
 * Teredo. IPv4-mapped `::ffff:0:0/96` (dotted or hex) and 6to4 `2002::/16` are judged by the
 * IPv4 address they embed. Anything that does not parse is refused.
 *
 * @example
 * isPrivateAddress("10.1.2.3"); // true
 * isPrivateAddress("::ffff:7f00:1"); // true (127.0.0.1)
 */
export function isPrivateAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv4") return parsed.range() !== "unicast";
  const v6 = parsed as ipaddr.IPv6;
  const range = v6.range();
  if (EMBEDS_IPV4_LOW.has(range)) return isPrivateAddress(ipv4From(v6.parts[6]!, v6.parts[7]!));
  if (range === "6to4") return isPrivateAddress(ipv4From(v6.parts[1]!, v6.parts[2]!));
  // IPv4-compatible addresses (::a.b.c.d, deprecated) have no range of their own in ipaddr.js.
  if (v6.parts.slice(0, 6).every((p) => p === 0)) return true;
  return range !== "unicast";
}

const ipv4From = (high: number, low: number) => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;

/**
 * The addresses a webhook host may be reached at, each checked: the host resolved once, every
 * address public (unless `allowPrivate`). Throws {@link BlockedAddressError} or the resolver's
 * error. Delivery connects to what this returns, so a name that resolves elsewhere a moment
 * later (DNS rebinding) is never re-resolved between the check and the connection (spec §3).
 *
 * @example
 * const [address] = await checkedAddresses("hooks.example.com", { allowPrivate: false });
 */
export async function checkedAddresses(host: string, options: { allowPrivate: boolean; resolve?: ResolveHost }): Promise<string[]> {
  const bare = host.replace(/^\[|\]$/g, "");
  const addresses = isIP(bare) ? [bare] : await (options.resolve ?? resolveWithOs)(bare);
  if (addresses.length === 0) throw Object.assign(new Error(`${bare} has no address`), { code: "ENOTFOUND" });
  if (!options.allowPrivate) {
    const bad = addresses.find(isPrivateAddress);
    if (bad !== undefined) throw new BlockedAddressError(bare, bad);
  }
  return addresses;
}

/** A webhook host that resolves to an address the server must not reach. */
export class BlockedAddressError extends Error {
  override readonly name = "BlockedAddressError";
  readonly code = "blocked_address";
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(`The webhook host ${host} resolves to a private, loopback or link-local address (${address}).`);
  }
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
  options: { allowPrivate: boolean; resolve?: ResolveHost },
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
  try {
    await checkedAddresses(parsed.hostname, options);
  } catch (error) {
    if (error instanceof BlockedAddressError) return error.message;
    return `The webhook host ${parsed.hostname.replace(/^\[|\]$/g, "")} does not resolve.`;
  }
  return undefined;
}
