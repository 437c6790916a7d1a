import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { createClient } from "async-jobs";
import { afterEach, expect, it } from "vitest";
import { injectTraceContext } from "../../src/internal/trace-context.ts";
import { makeJob } from "../helpers/job-fixture.ts";

// spec §8.6: the SDK sends the app's active OTel context, read from the OTel API's global
// registry (registered here exactly as an app's SDK setup registers it), and nothing without one.
afterEach(() => {
  trace.disable();
  propagation.disable();
  context.disable();
});

function recordingClient(headers: Record<string, string> = {}) {
  const seen: Request[] = [];
  const client = createClient({
    baseUrl: "http://injected.test/",
    token: "t",
    headers,
    fetch: async (input) => {
      seen.push(input as Request);
      return Response.json(makeJob(), { status: 202 });
    },
  });
  return { client, seen };
}

function registerOtel() {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(new BasicTracerProvider());
}

it("sends no trace headers when the app has registered no OpenTelemetry SDK", async () => {
  const { client, seen } = recordingClient();
  const span = trace.getTracer("app").startSpan("no sdk");
  await context.with(trace.setSpan(context.active(), span), () => client.jobs.submit({ type: "conformance.echo", input: {} }));
  expect(seen[0]!.headers.has("traceparent")).toBe(false);
});

it("sends the active span's traceparent and tracestate on API calls once an SDK is registered", async () => {
  registerOtel();
  const { client, seen } = recordingClient();
  await client.jobs.submit({ type: "conformance.echo", input: {} });
  expect(seen[0]!.headers.has("traceparent")).toBe(false); // no active span: nothing to send

  const span = trace.getTracer("app").startSpan("app work");
  const { traceId, spanId } = span.spanContext();
  const withState = trace.setSpanContext(context.active(), { ...span.spanContext(), traceState: new (class {
    set() { return this; } unset() { return this; } get() { return undefined; } serialize() { return "vendor=x"; }
  })() });
  await context.with(withState, () => client.jobs.submit({ type: "conformance.echo", input: {} }));
  expect(seen[1]!.headers.get("traceparent")).toBe(`00-${traceId}-${spanId}-01`);
  expect(seen[1]!.headers.get("tracestate")).toBe("vendor=x");
});

it("leaves a traceparent the app set itself alone", async () => {
  registerOtel();
  const own = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  const { client, seen } = recordingClient({ traceparent: own });
  const span = trace.getTracer("app").startSpan("app work");
  await context.with(trace.setSpan(context.active(), span), () => client.jobs.submit({ type: "conformance.echo", input: {} }));
  expect(seen[0]!.headers.get("traceparent")).toBe(own);
});

it("never puts trace headers on part PUTs (a presigned object-store URL's CORS rules would have to allow them)", async () => {
  registerOtel();
  const span = trace.getTracer("app").startSpan("upload");
  const put = new Request("http://bucket.test/part?X-Amz-Signature=x", { method: "PUT", body: "x" });
  const post = new Request("http://injected.test/v1/uploads", { method: "POST", body: "{}" });
  context.with(trace.setSpan(context.active(), span), () => {
    injectTraceContext(put);
    injectTraceContext(post);
  });
  expect(put.headers.has("traceparent")).toBe(false);
  expect(post.headers.get("traceparent")).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
});
