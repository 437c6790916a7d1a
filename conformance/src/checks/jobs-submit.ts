import { expectJob, expectProblem, expectRetryAfter, expectStatus, isTerminal, jsonEqual, locationPath } from "../assertions.ts";
import { type Check, expect } from "../check.ts";
import { getJob, submitEcho, submitJob } from "../job-helpers.ts";

/**
 * spec §2 Submit.
 *
 * @example
 * await runConformance({ baseUrl, token, checks: submitChecks });
 */
export const submitChecks: Check[] = [
  {
    id: "submit.accepted",
    clause: "§2 Submit",
    level: "MUST",
    title: "POST /v1/jobs answers 202 Accepted with the Job",
    needs: ["echo"],
    async run(ctx) {
      const input = { value: { nested: [1, "two", null] }, duration_ms: 0 };
      const res = await submitJob(ctx, { type: "conformance.echo", input, metadata: { suite: "conformance" }, max_attempts: 2 });
      expectStatus(res, 202, "submit");
      const job = expectJob(res.body, res.exchange, "submitted job");
      expect(job.type === "conformance.echo", `type must echo the request, got ${JSON.stringify(job.type)}`, res.exchange);
      expect(jsonEqual(job.input, input), "input must echo the request", res.exchange);
      expect(jsonEqual(job.metadata, { suite: "conformance" }), "metadata must echo the request", res.exchange);
      expect(job.max_attempts === 2, `max_attempts must echo the request, got ${job.max_attempts}`, res.exchange);
      expect(job.cancel_requested === false, "a new job has cancel_requested false", res.exchange);
      expect(job.webhook === null, "a job without webhook has webhook null", res.exchange);
    },
  },
  {
    id: "submit.location",
    clause: "§2 Submit",
    level: "MUST",
    title: "The 202 carries Location: /v1/jobs/{id}, and it resolves to the job",
    needs: ["echo"],
    async run(ctx) {
      const { res, job } = await submitEcho(ctx, { duration_ms: 0 });
      const path = locationPath(res);
      expect(path !== undefined, "submit 202 must carry Location", res.exchange);
      expect(path.endsWith(`/v1/jobs/${encodeURIComponent(job.id)}`) || path.endsWith(`/v1/jobs/${job.id}`), `Location must be /v1/jobs/${job.id}, got ${res.headers.get("location")}`, res.exchange);
      const url = new URL(res.headers.get("location")!, res.exchange.url).toString();
      const got = await ctx.http.request("GET", url);
      expectStatus(got, 200, "GET Location");
      expect(expectJob(got.body, got.exchange).id === job.id, "Location must point at the submitted job", got.exchange);
    },
  },
  {
    id: "submit.retry-after",
    clause: "§1 Retry-After, §2 Submit",
    level: "MUST",
    title: "Every submit 202 carries Retry-After as an integer number of seconds",
    needs: ["echo"],
    async run(ctx) {
      const { res } = await submitEcho(ctx, { duration_ms: 0 });
      expectRetryAfter(res, "submit 202");
    },
  },
  {
    id: "submit.durable",
    clause: "§2 Execution",
    level: "MUST",
    title: "A 202 means the job is stored: it is readable at once",
    needs: ["echo"],
    async run(ctx) {
      const { job } = await submitEcho(ctx, { value: "durable", duration_ms: 0 });
      const res = await getJob(ctx, job.id);
      expectStatus(res, 200, "GET the job right after its 202");
      const read = expectJob(res.body, res.exchange);
      expect(read.id === job.id, "GET returned another job", res.exchange);
    },
  },
  {
    id: "submit.no-key-new-job",
    clause: "§2 Submit (idempotency)",
    level: "MUST",
    title: "Without Idempotency-Key every submit makes a new job",
    needs: ["echo"],
    async run(ctx) {
      const a = await submitEcho(ctx, { value: "same" });
      const b = await submitEcho(ctx, { value: "same" });
      expect(a.job.id !== b.job.id, "two submits without a key returned the same job", a.res.exchange, b.res.exchange);
      expect(b.res.headers.get("idempotent-replayed") !== "true", "a submit without a key is never a replay", b.res.exchange);
    },
  },
  {
    id: "submit.unknown-type",
    clause: "§2 Submit",
    level: "MUST",
    title: "An unknown job type is 422 unknown_job_type",
    needs: [],
    async run(ctx) {
      const res = await submitJob(ctx, { type: "conformance.no-such-type", input: {} });
      expectProblem(res, 422, "unknown_job_type", "submit an unknown type");
    },
  },
  {
    id: "submit.invalid-input",
    clause: "§2 Submit",
    level: "MUST",
    title: "Input not valid for its type is 422 invalid_input with errors",
    needs: ["echo"],
    async run(ctx) {
      for (const input of [{ duration_ms: "soon" }, { duration_ms: -1 }, { progress_steps: 101 }]) {
        const res = await submitJob(ctx, { type: "conformance.echo", input });
        const problem = expectProblem(res, 422, "invalid_input", `submit echo with ${JSON.stringify(input)}`);
        const errors = (problem as { errors?: unknown }).errors;
        expect(Array.isArray(errors) && errors.length > 0, "invalid_input must carry errors[]", res.exchange);
      }
    },
  },
  {
    id: "submit.prefer-wait",
    clause: "§2 Submit (Prefer: wait, a MAY)",
    level: "MUST",
    title: "Prefer: wait is either ignored (202) or honoured: 200 only with a terminal job, Preference-Applied wait=M with M <= N",
    needs: ["echo"],
    timeoutMs: 20_000,
    async run(ctx) {
      const quick = await submitJob(ctx, { type: "conformance.echo", input: { value: "fast", duration_ms: 0 } }, { headers: { prefer: "wait=5" }, timeoutMs: 15_000 });
      expectStatus(quick, [200, 202], "submit with Prefer: wait=5");
      const job = expectJob(quick.body, quick.exchange);
      const applied = quick.headers.get("preference-applied");
      if (applied !== null && /wait/i.test(applied)) {
        const m = /wait\s*=\s*"?(\d+)"?/i.exec(applied);
        expect(m && Number(m[1]) <= 5, `Preference-Applied must say wait=M with M <= 5, got ${JSON.stringify(applied)}`, quick.exchange);
      } else {
        ctx.note("the server does not say it honours Prefer: wait on submit");
      }
      if (quick.status === 200) {
        expect(isTerminal(job.status), `a 200 to Prefer: wait must carry a terminal job, got ${job.status}`, quick.exchange);
      } else {
        expectRetryAfter(quick, "submit 202 with Prefer: wait");
      }
      const slow = await submitJob(ctx, { type: "conformance.echo", input: { duration_ms: 4_000 } }, { headers: { prefer: "wait=1" }, timeoutMs: 15_000 });
      expectStatus(slow, 202, "submit a 4 s job with Prefer: wait=1");
      expect(!isTerminal(expectJob(slow.body, slow.exchange).status), "a 4 s job cannot be terminal after 1 s", slow.exchange);
      expectRetryAfter(slow, "submit 202 after a wait");
      await ctx.http.request("POST", `/v1/jobs/${encodeURIComponent((slow.body as { id: string }).id)}/cancel`);
    },
  },
  {
    id: "submit.webhook-url-refused",
    clause: "§1 Errors, §3 Webhooks",
    level: "MUST",
    title: "A webhook URL that is not a URL is refused (422 invalid_webhook_url or 400 invalid_request)",
    needs: ["echo"],
    async run(ctx) {
      const res = await submitJob(ctx, { type: "conformance.echo", input: {}, webhook: { url: "not a url" } });
      expect(res.status === 422 || res.status === 400, `a webhook URL "not a url" must be refused, got ${res.status}`, res.exchange);
      expectProblem(res, res.status, res.status === 422 ? "invalid_webhook_url" : "invalid_request", "submit with a bad webhook URL");
    },
  },
];
