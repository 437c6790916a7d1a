import type { SdkProblemCode } from "../errors.ts";
import type { Problem } from "../types.ts";

export { parseRateLimit } from "./rate-limit-headers.ts";

/** The SDK's own code for an error answer that is not problem+json (a proxy's page, an empty 502). */
export const UNEXPECTED_RESPONSE: SdkProblemCode = "unexpected_response";

/** How much of a non-problem body the error quotes: enough to recognise a proxy's page, not all of it. */
const EXCERPT_CHARS = 200;

/**
 * The problem of an error answer: its body when that is a problem (it came from an
 * async-jobs server), else one of code `unexpected_response` with the status, the URL's origin
 * (which hop answered) and a short excerpt of the body as text (a proxy's page, an empty 502).
 * Loaded only when an error answer ends a call (`toApiError`).
 *
 * @example
 * problemOf(response, "<html>502 Bad Gateway</html>", url).code // "unexpected_response"
 */
export function problemOf(response: Response, body: unknown, requestUrl: string | undefined): Problem {
  return isProblem(body) ? body : unexpectedResponse(response, body, requestUrl);
}

function unexpectedResponse(response: Response, body: unknown, requestUrl: string | undefined): Problem {
  const origin = originOf(response.url || requestUrl || "");
  const text = typeof body === "string" ? body : body === undefined || body === null ? "" : JSON.stringify(body);
  // Markup and runs of whitespace say nothing; the words of a proxy's page do ("413 Request Entity Too Large").
  const words = text.replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ").replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim();
  const excerpt = words.length > EXCERPT_CHARS ? `${words.slice(0, EXCERPT_CHARS)}…` : words;
  const from = origin ? ` from ${origin}` : "";
  return {
    type: "about:blank",
    title: "Unexpected response",
    status: response.status,
    detail: excerpt
      ? `HTTP ${response.status}${from} is not a problem+json answer: ${excerpt}`
      : `HTTP ${response.status}${from} without a problem body.`,
    code: UNEXPECTED_RESPONSE,
  };
}

function originOf(url: string): string | undefined {
  try {
    return url ? new URL(url).origin : undefined;
  } catch {
    return undefined;
  }
}

function isProblem(body: unknown): body is Problem {
  return typeof body === "object" && body !== null && typeof (body as Problem).code === "string";
}
