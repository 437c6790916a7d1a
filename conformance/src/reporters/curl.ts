import type { RecordedExchange } from "../http-recorder.ts";

/** Quotes for a POSIX shell: single quotes, with embedded ones closed and escaped. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

// Headers curl sets itself, or that describe the recorded body rather than the request to send.
const computed = new Set(["content-length", "host", "connection"]);

/**
 * A `curl` command that sends the recorded request again, secrets masked as in the evidence
 * (`Bearer ****`: put the token back before running it).
 *
 * @example
 * curlCommand(result.evidence[0]) // "curl -i -X POST 'http://…/v1/jobs' -H 'authorization: Bearer ****' --data-raw '{…}'"
 */
export function curlCommand(exchange: RecordedExchange): string {
  const parts = ["curl", "-i"];
  if (exchange.method !== "GET" || exchange.requestBody) parts.push("-X", exchange.method);
  parts.push(shellQuote(exchange.url));
  for (const [name, value] of Object.entries(exchange.requestHeaders)) {
    if (!computed.has(name.toLowerCase())) parts.push("-H", shellQuote(`${name}: ${value}`));
  }
  if (exchange.requestBody) parts.push("--data-raw", shellQuote(exchange.requestBody));
  return parts.join(" ");
}
