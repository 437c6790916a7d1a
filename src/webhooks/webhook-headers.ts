/**
 * Request headers as any framework hands them over: a Fetch `Headers`, a plain object, or
 * Node's `IncomingHttpHeaders` (values may be arrays when a header repeats).
 *
 * @example
 * const headers: WebhookHeaders = { "webhook-id": "msg_1", "webhook-timestamp": "1700000000" }
 */
export type WebhookHeaders =
  | Headers
  | { readonly [name: string]: string | readonly string[] | undefined };

/**
 * Reads one header case-insensitively. Repeated values are joined with `separator`, as
 * `Headers.get` joins them with ", " (so every header shape gives the same answer).
 *
 * @example
 * readWebhookHeader({ "Webhook-Id": "msg_1" }, "webhook-id") // "msg_1"
 */
export function readWebhookHeader(
  headers: WebhookHeaders,
  name: string,
  separator = ", ",
): string | undefined {
  let value: string | readonly string[] | null | undefined;
  if (typeof (headers as Headers).get === "function") {
    value = (headers as Headers).get(name);
  } else {
    const record = headers as Exclude<WebhookHeaders, Headers>;
    value = record[name];
    if (value === undefined) {
      for (const key in record) {
        if (key.toLowerCase() === name) {
          value = record[key];
          break;
        }
      }
    }
  }
  if (typeof value !== "string") value = Array.isArray(value) ? value.join(separator) : undefined;
  return value || undefined;
}
