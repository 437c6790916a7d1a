import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { createClient } from "async-jobs";
import { createJobsServer, type JobTypeDefinition, type JobsServer } from "async-jobs-server";
import { afterAll, beforeAll, expect, it } from "vitest";

// A real OTel SDK in this process: the test's own spans, the SDK client's traceparent and the
// in-process server's spans all go to one in-memory exporter (spec §8.6).
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const receiver = createServer((req, res) => {
  received.push(req.headers);
  req.resume().on("end", () => res.writeHead(204).end());
});
const received: IncomingHttpHeaders[] = [];
let dir: string;
let server: JobsServer;
let baseUrl: string;
/** What `run` saw: its context's trace and the span it made inside. */
let seenInRun: { trace: unknown; traceId: string } | undefined;

const traced: JobTypeDefinition<Record<string, never>, { ok: boolean }> = {
  type: "test.traced",
  description: "Makes a span of its own inside run.",
  inputSchema: { type: "object" },
  resultSchema: { type: "object", properties: { ok: { type: "boolean" } } },
  async run(ctx) {
    const span = trace.getTracer("job-code").startSpan("inside run");
    seenInRun = { trace: ctx.trace, traceId: span.spanContext().traceId };
    span.end();
    return { ok: true };
  },
};

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  dir = mkdtempSync(join(tmpdir(), "async-jobs-trace-"));
  server = await createJobsServer({
    store: `sqlite:${join(dir, "jobs.db")}`,
    blobs: join(dir, "blobs"),
    jobTypes: [traced],
    tokens: { tok_trace: "acme" },
    allowPrivateWebhooks: true,
  });
  baseUrl = await server.listen({ port: 0, host: "127.0.0.1" });
}, 60_000);
afterAll(async () => {
  await server?.close(0);
  receiver.close();
  rmSync(dir, { recursive: true, force: true });
  trace.disable();
  propagation.disable();
  context.disable();
});

it("one trace id from the SDK's submit through the server's submit span and the job's run to the webhook's traceparent", async () => {
  const client = createClient<{ "test.traced": { input: Record<string, never>; result: { ok: boolean } } }>({ baseUrl, token: "tok_trace" });
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const root = trace.getTracer("app").startSpan("app submit");
  const traceId = root.spanContext().traceId;
  const { job } = await context.with(trace.setSpan(context.active(), root), () =>
    client.jobs.submit({ type: "test.traced", input: {}, webhook: { url: hook } }),
  );
  root.end();
  await client.jobs.wait(job.id);
  await expect.poll(() => received.length, { timeout: 10_000 }).toBeGreaterThan(0);
  // The delivery span ends once the receiver's answer is in, just after the receiver saw the request.
  await expect.poll(() => exporter.getFinishedSpans().some((s) => s.name === "async-jobs webhook"), { timeout: 10_000 }).toBe(true);

  const spans = exporter.getFinishedSpans();
  const named = (name: string) => spans.filter((s) => s.name === name);
  const submit = named("async-jobs submit")[0]!;
  expect(submit.spanContext().traceId).toBe(traceId);
  // The server's submit span is a child of the app's span: the SDK sent the active context.
  expect(submit.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
  for (const name of ["async-jobs claim", "async-jobs run", "inside run", "async-jobs webhook"]) {
    expect(named(name).map((s) => s.spanContext().traceId), name).toEqual([traceId]);
  }
  // run's span is the parent of the job's own span; run hangs under the submit span.
  expect(named("inside run")[0]!.parentSpanContext?.spanId).toBe(named("async-jobs run")[0]!.spanContext().spanId);
  expect(named("async-jobs run")[0]!.parentSpanContext?.spanId).toBe(submit.spanContext().spanId);
  expect(seenInRun?.traceId).toBe(traceId);
  expect(seenInRun?.trace).toEqual({ traceparent: `00-${traceId}-${submit.spanContext().spanId}-01`, tracestate: null });

  // The receiver gets the trace, its parent being the server's delivery span.
  const webhookSpan = named("async-jobs webhook")[0]!;
  expect(received[0]!.traceparent).toBe(`00-${traceId}-${webhookSpan.spanContext().spanId}-01`);
  expect(received[0]!["webhook-id"]).toBeDefined();
});

it("a traceparent sent as a plain header (no SDK in the client) is the job's trace; an invalid one is ignored, never refused", async () => {
  const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  const send = (header: string) =>
    fetch(`${baseUrl}/v1/jobs`, {
      method: "POST",
      headers: { authorization: "Bearer tok_trace", "content-type": "application/json", traceparent: header, tracestate: "vendor=x" },
      body: JSON.stringify({ type: "test.traced", input: {} }),
    });
  const ok = await send(traceparent);
  expect(ok.status).toBe(202);
  const { id } = (await ok.json()) as { id: string };
  await createClient({ baseUrl, token: "tok_trace" }).jobs.wait(id);
  const submit = exporter.getFinishedSpans().find((s) => s.name === "async-jobs submit" && s.spanContext().traceId === "0af7651916cd43dd8448eb211c80319c");
  expect(submit?.parentSpanContext?.spanId).toBe("b7ad6b7169203331");
  expect(seenInRun?.traceId).toBe("0af7651916cd43dd8448eb211c80319c");
  expect(seenInRun?.trace).toMatchObject({ tracestate: "vendor=x" });

  const bad = await send("00-00000000000000000000000000000000-b7ad6b7169203331-01");
  expect(bad.status).toBe(202);
  const badId = ((await bad.json()) as { id: string }).id;
  await createClient({ baseUrl, token: "tok_trace" }).jobs.wait(badId);
  expect(seenInRun?.traceId).not.toBe("00000000000000000000000000000000");
  // With an SDK, the job without a valid parent gets the submit span's own new trace.
  expect(seenInRun?.trace).toMatchObject({ traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/), tracestate: null });
});
