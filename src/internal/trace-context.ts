/**
 * The part of `@opentelemetry/api`'s global registry read here: the propagator and the context
 * manager an OTel SDK registers (`propagation.setGlobalPropagator`, `context.setGlobalContextManager`).
 * The API keeps them under `globalThis[Symbol.for("opentelemetry.js.api.1")]` (its
 * `internal/global-utils`), so reading them there needs no import of the package: an app without
 * OpenTelemetry pays for these few lines only (spec §8.6).
 */
interface OtelGlobals {
  propagation?: { inject(context: unknown, carrier: Headers, setter: { set(carrier: Headers, key: string, value: string): void }): void };
  context?: { active(): unknown };
}

/** Only `traceparent` and `tracestate`: not `baggage` (app data) nor another propagator's fields. */
const setter = { set: (headers: Headers, key: string, value: string) => key.startsWith("trace") && headers.set(key, value) };

/**
 * A ky `beforeRequest` hook: sets `traceparent` (and `tracestate`) from the active OpenTelemetry
 * context on API calls, when an OTel SDK is registered in the app (spec §8.6). Part PUTs (the
 * only PUTs) are left alone: a header more on a presigned object-store URL would need its own
 * CORS rule. A header the app set itself wins.
 *
 * @example
 * ky.create({ hooks: { beforeRequest: [injectTraceContext] } })
 */
export function injectTraceContext(request: Request): void {
  const otel = (globalThis as Record<symbol, OtelGlobals | undefined>)[Symbol.for("opentelemetry.js.api.1")];
  if (otel?.context && request.method != "PUT" && !request.headers.has("traceparent")) {
    otel.propagation?.inject(otel.context.active(), request.headers, setter);
  }
}
