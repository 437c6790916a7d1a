import { type Context, type Span, SpanStatusCode, trace } from "@opentelemetry/api";

/**
 * The server's tracer. Without an OpenTelemetry SDK registered in the process its spans are
 * no-ops (the API's proxy tracer), so tracing costs nothing unless an app turns it on.
 */
export const tracer = trace.getTracer("async-jobs-server");

/**
 * Runs `work` inside a span named `name` (child of `parent`), active while it runs, ended when
 * it settles; a throw marks the span as an error and is rethrown.
 *
 * @example
 * await inSpan("async-jobs submit", contextOfTrace(received), () => store.createJob(command));
 */
export async function inSpan<T>(name: string, parent: Context, work: (span: Span) => Promise<T>, attributes: Record<string, string | number> = {}): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, parent, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Records a span that already happened (from `startTime`, epoch ms, until now), e.g. a job's
 * claim, seen only once the claim answered with the job and its trace.
 *
 * @example
 * recordSpan("async-jobs claim", contextOfTrace(job.trace), askedAt, { "async_jobs.job_id": job.id });
 */
export function recordSpan(name: string, parent: Context, startTime: number, attributes: Record<string, string | number> = {}): void {
  tracer.startSpan(name, { startTime, attributes }, parent).end();
}
