import { type Context, createTraceState, ROOT_CONTEXT, type Span, trace } from "@opentelemetry/api";

/** A job's W3C trace context, as received on submit and sent on its webhooks (spec §8.6). */
export interface TraceContext {
  traceparent: string;
  tracestate: string | null;
}

// W3C Trace Context, section 3.2: version-traceid-parentid-flags, lowercase hex; version ff is invalid
// and version 00 has nothing after the flags.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
/** Longer `tracestate` values are dropped, not cut (the W3C text, section 3.3.1.5, lets a vendor do either). */
const MAX_TRACESTATE = 512;

/**
 * The trace context of a request's headers, or `null` when `traceparent` is absent or not
 * valid: an invalid one is ignored, never refused (spec §8.6).
 *
 * @example
 * readTraceContext({ traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" })
 */
export function readTraceContext(headers: Record<string, string | string[] | undefined>): TraceContext | null {
  const traceparent = single(headers.traceparent)?.trim();
  const parts = traceparent === undefined ? null : TRACEPARENT.exec(traceparent);
  if (!parts || parts[1] === "ff" || (parts[1] === "00" && parts[5] !== undefined)) return null;
  if (/^0+$/.test(parts[2]!) || /^0+$/.test(parts[3]!)) return null;
  // Several tracestate headers are one list (W3C section 3.3.1.1).
  const raw = headers.tracestate;
  const tracestate = (Array.isArray(raw) ? raw.join(",") : raw)?.trim() || null;
  return { traceparent: traceparent!, tracestate: tracestate !== null && tracestate.length <= MAX_TRACESTATE ? tracestate : null };
}

/**
 * An OpenTelemetry context whose parent is the job's stored trace, so spans started in it
 * continue that trace; the root context when the job has none.
 *
 * @example
 * tracer.startSpan("async-jobs run", {}, contextOfTrace(job.trace))
 */
export function contextOfTrace(traceContext: TraceContext | null, base: Context = ROOT_CONTEXT): Context {
  const parts = traceContext && TRACEPARENT.exec(traceContext.traceparent);
  if (!parts) return base;
  return trace.setSpanContext(base, {
    traceId: parts[2]!,
    spanId: parts[3]!,
    traceFlags: parseInt(parts[4]!, 16),
    isRemote: true,
    ...(traceContext.tracestate ? { traceState: createTraceState(traceContext.tracestate) } : {}),
  });
}

/**
 * The trace context of `span` when an OTel SDK gives it a real id (so what follows is its
 * child); otherwise `fallback` unchanged (no SDK: the received context passes through).
 *
 * @example
 * const stored = traceContextOfSpan(submitSpan, readTraceContext(request.headers));
 */
export function traceContextOfSpan(span: Span, fallback: TraceContext | null): TraceContext | null {
  const context = span.spanContext();
  if (!trace.isSpanContextValid(context)) return fallback;
  const flags = (context.traceFlags & 0xff).toString(16).padStart(2, "0");
  const state = context.traceState?.serialize();
  return { traceparent: `00-${context.traceId}-${context.spanId}-${flags}`, tracestate: state || fallback?.tracestate || null };
}

/**
 * The headers that carry `traceContext` (on a webhook delivery, spec §8.6).
 *
 * @example
 * { ...signedHeaders, ...traceHeaders(job.trace) }
 */
export function traceHeaders(traceContext: TraceContext | null): Record<string, string> {
  if (!traceContext) return {};
  return traceContext.tracestate ? { traceparent: traceContext.traceparent, tracestate: traceContext.tracestate } : { traceparent: traceContext.traceparent };
}

function single(value: string | string[] | undefined): string | undefined {
  // Two traceparent headers are no valid one (W3C section 3.2).
  return Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
}
