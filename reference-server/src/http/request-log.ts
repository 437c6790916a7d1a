import type { FastifyRequest } from "fastify";

/** Query parameters that are bearer credentials on their own (signed part and download URLs, spec §4). */
const SECRET_PARAMS = ["signature"];

/**
 * The URL with every credential parameter's value replaced by `REDACTED`: a signed part or
 * download URL in a log file must not work for whoever reads the log.
 *
 * @example
 * redactUrl("/v1/uploads/upl_1/parts/1?expires=9&signature=abc"); // "/v1/uploads/upl_1/parts/1?expires=9&signature=REDACTED"
 */
export function redactUrl(url: string): string {
  const at = url.indexOf("?");
  if (at < 0) return url;
  const params = url.slice(at + 1).split("&").map((pair) => {
    const eq = pair.indexOf("=");
    const name = eq < 0 ? pair : pair.slice(0, eq);
    let decoded = name;
    try {
      decoded = decodeURIComponent(name.replace(/\+/g, " "));
    } catch {
      // a malformed name is logged as it is, unless it is a secret one in disguise
    }
    return SECRET_PARAMS.includes(decoded.toLowerCase()) ? `${name}=REDACTED` : pair;
  });
  return `${url.slice(0, at)}?${params.join("&")}`;
}

/**
 * fastify's `logger` option for `--log`: JSON lines on stderr (docs/server.md; stdout carries
 * the CLI's own lines), request URLs with their signatures redacted.
 *
 * @example
 * Fastify({ logger: requestLogger(config.log) });
 */
export function requestLogger(enabled: boolean, stream: { write(line: string): void } = process.stderr) {
  if (!enabled) return false;
  return {
    stream,
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: redactUrl(request.url),
        host: request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort,
      }),
    },
  };
}
