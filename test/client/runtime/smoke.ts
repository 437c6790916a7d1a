// The SDK smoke suite run in each runtime (Node 24, Bun, Deno, workerd): bundled by esbuild for
// platform "neutral", so only Web APIs are available, as in an app's edge bundle.
import { createClient, isApiError, isJobFailedError } from "../../../src/index.ts";
import { awaitJob } from "../../../src/jobs/index.ts";

/** Where the smoke suite talks to. */
export interface SmokeInput {
  /** The reference server. */
  url: string;
  /** A fault proxy in front of it that answers 503 to the first request of each path. */
  flakyUrl: string;
  token: string;
}

/** One line per check, `name: detail`. */
export type SmokeResult = { checks: string[]; runtime: string };

function check(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(`smoke check failed: ${message}`);
}

/**
 * Runs the checks; throws on the first failure.
 *
 * @example
 * const { checks } = await runSmoke({ url, flakyUrl, token })
 */
export async function runSmoke(input: SmokeInput): Promise<SmokeResult> {
  const checks: string[] = [];
  const client = createClient({ baseUrl: input.url, token: input.token });

  const progress: number[] = [];
  const job = await client.jobs.submitAndWait(
    { type: "conformance.echo", input: { value: "smoke", duration_ms: 400, progress_steps: 2 } },
    { onProgress: (j) => progress.push(j.progress?.percent ?? -1), deadlineMs: 20_000 },
  );
  check(job.status === "succeeded" && (job.result as { value?: unknown }).value === "smoke", "submitAndWait result");
  check(progress.length >= 2 && progress.at(-1) === 100, `progress ${JSON.stringify(progress)}`);
  checks.push(`submitAndWait+progress: ${JSON.stringify(progress)}`);

  const failed = await client.jobs
    .submitAndWait({ type: "conformance.echo", input: { fail: { code: "smoke_failed", message: "asked" } } })
    .catch((e: unknown) => e);
  check(isJobFailedError(failed) && failed.problem.code === "smoke_failed", "JobFailedError");
  checks.push("JobFailedError: smoke_failed");

  const { job: slow } = await client.jobs.submit({ type: "conformance.echo", input: { duration_ms: 60_000 } });
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(), 100);
  const aborted = await awaitJob(client, slow.id, { signal: controller.signal, cancelOnAbort: true }).catch((e: unknown) => e);
  check((aborted as Error)?.name === "AbortError", `abort → ${String(aborted)}`);
  checks.push(`abort: AbortError after ${Date.now() - started} ms`);

  const req = { type: "conformance.echo", input: { value: started } } as const;
  const key = `smoke-${started}-${Math.random()}`;
  const first = await client.jobs.submit(req, { idempotencyKey: key });
  const second = await client.jobs.submit(req, { idempotencyKey: key });
  check(!first.replayed && second.replayed && second.job.id === first.job.id, "idempotent replay");
  checks.push("idempotent replay: same job");

  const flaky = createClient({ baseUrl: input.flakyUrl, token: input.token, retry: { initialDelayMs: 10 } });
  const again = await flaky.jobs.get(first.job.id);
  check(again.id === first.job.id, "retry after 503");
  checks.push("retry after injected 503: ok");

  const missing = await client.jobs.get("job_missing").catch((e: unknown) => e);
  check(isApiError(missing, "not_found"), "ApiError not_found");
  checks.push("ApiError: not_found");

  let listed = 0;
  for await (const _ of client.jobs.list({ limit: 2 })) if (++listed >= 3) break;
  check(listed === 3, "list across pages");
  checks.push("list: 3 jobs across pages");

  const runtime =
    typeof (globalThis as { Deno?: unknown }).Deno !== "undefined"
      ? "deno"
      : typeof (globalThis as { Bun?: unknown }).Bun !== "undefined"
        ? "bun"
        : typeof (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent === "string" &&
            navigator.userAgent.includes("Cloudflare")
          ? "workerd"
          : `node ${(globalThis as { process?: { version?: string } }).process?.version}`;
  return { checks, runtime };
}
