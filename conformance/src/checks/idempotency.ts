import { expectInvalidRequest, expectJob, expectProblem, expectRetryAfter, expectStatus, locationPath } from "../assertions.ts";
import { type Check, expect, skip } from "../check.ts";
import type { HttpResponse } from "../http-recorder.ts";
import { submitJob, waitTerminal } from "../job-helpers.ts";

const echo = (input: Record<string, unknown>) => ({ type: "conformance.echo", input });

function replayed(res: HttpResponse): boolean {
  return (res.headers.get("idempotent-replayed") ?? "").trim().toLowerCase() === "true";
}

/**
 * spec §2 Submit, idempotency.
 *
 * @example
 * await runConformance({ baseUrl, token, checks: idempotencyChecks });
 */
export const idempotencyChecks: Check[] = [
  {
    id: "idempotency.replay",
    clause: "§2 Submit (idempotency)",
    level: "MUST",
    title: "Same key, same body: the same job, 202 with Location and Retry-After, plus Idempotent-Replayed: true",
    needs: ["echo"],
    async run(ctx) {
      const key = `"${ctx.unique("conf-replay")}"`;
      const body = echo({ value: "replay", duration_ms: 2_000 });
      const first = await submitJob(ctx, body, { headers: { "idempotency-key": key } });
      expectStatus(first, 202, "first submit");
      const job = expectJob(first.body, first.exchange);
      expect(!replayed(first), "the first request is not a replay", first.exchange);
      const again = await submitJob(ctx, body, { headers: { "idempotency-key": key } });
      expectStatus(again, 202, "replayed submit (a first request gets 202)");
      const replay = expectJob(again.body, again.exchange);
      expect(replay.id === job.id, `a replay must return the same job ${job.id}, got ${replay.id}`, first.exchange, again.exchange);
      expect(replayed(again), "a replay must carry Idempotent-Replayed: true", again.exchange);
      expect(locationPath(again) === locationPath(first), "a replay must carry the same Location", first.exchange, again.exchange);
      expectRetryAfter(again, "replayed 202");
      await ctx.http.request("POST", `/v1/jobs/${encodeURIComponent(job.id)}/cancel`);
    },
  },
  {
    id: "idempotency.replay-current-state",
    clause: "§2 Submit (idempotency)",
    level: "MUST",
    title: "A replay after the job ended answers the job in its current state",
    needs: ["echo"],
    async run(ctx) {
      const key = ctx.unique("conf-current");
      const body = echo({ value: "current", duration_ms: 0 });
      const first = await submitJob(ctx, body, { headers: { "idempotency-key": key } });
      expectStatus(first, 202, "first submit");
      const job = expectJob(first.body, first.exchange);
      const done = await waitTerminal(ctx, job.id);
      const again = await submitJob(ctx, body, { headers: { "idempotency-key": key } });
      expectStatus(again, 202, "replayed submit");
      const replay = expectJob(again.body, again.exchange);
      expect(replay.id === job.id, "a replay must return the same job", again.exchange);
      expect(replay.status === done.job.status, `a replay must show the current state (${done.job.status}), got ${replay.status}`, done.res.exchange, again.exchange);
    },
  },
  {
    id: "idempotency.canonical-body",
    clause: "§2 Submit (idempotency fingerprint)",
    level: "MUST",
    title: "The fingerprint ignores whitespace and key order",
    needs: ["echo"],
    async run(ctx) {
      const key = ctx.unique("conf-canonical");
      const headers = { "idempotency-key": key, "content-type": "application/json" };
      const first = await ctx.http.request("POST", "/v1/jobs", { rawBody: '{"type":"conformance.echo","input":{"value":{"a":1,"b":[1,2]},"duration_ms":0}}', headers });
      expectStatus(first, 202, "first submit");
      const again = await ctx.http.request("POST", "/v1/jobs", { rawBody: '{\n  "input": { "duration_ms": 0, "value": { "b": [1, 2], "a": 1 } },\n  "type": "conformance.echo"\n}', headers });
      expectStatus(again, 202, "same body, reordered and re-spaced");
      expect((again.body as { id?: string }).id === (first.body as { id?: string }).id, "a reordered body with the same key must replay the same job", first.exchange, again.exchange);
      expect(replayed(again), "the replay must carry Idempotent-Replayed: true", again.exchange);
    },
  },
  {
    id: "idempotency.key-reused",
    clause: "§2 Submit (idempotency)",
    level: "MUST",
    title: "Same key, different body: 422 idempotency_key_reused",
    needs: ["echo"],
    async run(ctx) {
      const key = ctx.unique("conf-reused");
      const first = await submitJob(ctx, echo({ value: 1, duration_ms: 0 }), { headers: { "idempotency-key": key } });
      expectStatus(first, 202, "first submit");
      const other = await submitJob(ctx, echo({ value: 2, duration_ms: 0 }), { headers: { "idempotency-key": key } });
      expectProblem(other, 422, "idempotency_key_reused", "same key, different body");
    },
  },
  {
    id: "idempotency.quoted-and-bare",
    clause: "§2 Submit (idempotency key forms)",
    level: "MUST",
    title: "The quoted and the bare form of a key are one key",
    needs: ["echo"],
    async run(ctx) {
      const key = ctx.unique("conf-forms");
      const body = echo({ value: "forms", duration_ms: 0 });
      const quoted = await submitJob(ctx, body, { headers: { "idempotency-key": `"${key}"` } });
      expectStatus(quoted, 202, "submit with the quoted key");
      const bare = await submitJob(ctx, body, { headers: { "idempotency-key": key } });
      expectStatus(bare, 202, "submit with the bare key");
      expect((bare.body as { id?: string }).id === (quoted.body as { id?: string }).id, "the bare form of a quoted key must replay the same job", quoted.exchange, bare.exchange);
      const key2 = ctx.unique("conf-forms2");
      const bare2 = await submitJob(ctx, body, { headers: { "idempotency-key": key2 } });
      const quoted2 = await submitJob(ctx, body, { headers: { "idempotency-key": `"${key2}"` } });
      expectStatus(quoted2, 202, "submit with the quoted key after the bare one");
      expect((quoted2.body as { id?: string }).id === (bare2.body as { id?: string }).id, "the quoted form of a bare key must replay the same job", bare2.exchange, quoted2.exchange);
    },
  },
  {
    id: "idempotency.in-use",
    clause: "§2 Submit (idempotency)",
    level: "MUST",
    title: "Same key while the first request is still processed: 409 idempotency_key_in_use with Retry-After (never a second job)",
    needs: ["echo"],
    timeoutMs: 20_000,
    async run(ctx) {
      // Whether a request held by Prefer: wait still counts as "being processed" is the server's
      // call, so a replay during the hold is accepted; concurrent bursts look for a real 409.
      let conflicts = 0;
      // Up to 25 bursts: on a loaded machine (or through a proxy) requests may spread out in time.
      for (let round = 0; round < 25 && conflicts === 0; round++) {
        const key = ctx.unique("conf-in-use");
        const body = echo({ value: round, duration_ms: 0 });
        const all = await Promise.all(Array.from({ length: 12 }, () => submitJob(ctx, body, { headers: { "idempotency-key": key } })));
        const ids = new Set<string>();
        for (const res of all) {
          expect(res.status === 202 || res.status === 409, `a concurrent submit with one key must be 202 or 409, got ${res.status}`, res.exchange);
          if (res.status === 409) {
            conflicts++;
            expectProblem(res, 409, "idempotency_key_in_use", "concurrent submit with one key");
            expectRetryAfter(res, "409 idempotency_key_in_use");
          } else ids.add((res.body as { id: string }).id);
        }
        expect(ids.size <= 1, `one key made ${ids.size} jobs`, ...all.map((r) => r.exchange));
      }
      if (conflicts === 0) skip("no concurrent submit ever overlapped the first one (the server answered each at once), so no 409 could be observed");
    },
  },
  {
    id: "idempotency.concurrent-one-job",
    clause: "§2 Submit (idempotency)",
    level: "MUST",
    title: "A burst of concurrent submits with one key makes at most one job",
    needs: ["echo"],
    async run(ctx) {
      const key = ctx.unique("conf-burst");
      const body = echo({ value: "burst", duration_ms: 0 });
      const all = await Promise.all(Array.from({ length: 6 }, () => submitJob(ctx, body, { headers: { "idempotency-key": key } })));
      const ids = new Set<string>();
      for (const res of all) {
        expect(res.status === 202 || res.status === 409, `a concurrent submit must be 202 or 409, got ${res.status}`, res.exchange);
        if (res.status === 409) {
          expectProblem(res, 409, "idempotency_key_in_use", "concurrent submit");
          expectRetryAfter(res, "409 idempotency_key_in_use");
        } else ids.add((res.body as { id: string }).id);
      }
      expect(ids.size === 1, `one key made ${ids.size} jobs: ${[...ids].join(", ")}`, ...all.map((r) => r.exchange));
    },
  },
  {
    id: "idempotency.invalid-key",
    clause: "§1 Errors, §2 Submit (idempotency key)",
    level: "MUST",
    title: "An Idempotency-Key outside 1-255 printable ASCII characters is 400 invalid_request",
    needs: [],
    async run(ctx) {
      const body = { type: "conformance.no-such-type", input: {} };
      for (const key of ["k".repeat(256), `"${"k".repeat(256)}"`]) {
        const res = await submitJob(ctx, body, { headers: { "idempotency-key": key } });
        expectInvalidRequest(res, undefined, `Idempotency-Key of ${key.length} characters`, "header");
      }
    },
  },
  {
    id: "idempotency.refused-not-stored",
    clause: "§2 Submit (idempotency)",
    level: "MUST",
    title: "A request refused by validation does not store its key",
    needs: ["echo"],
    async run(ctx) {
      const key = ctx.unique("conf-refused");
      const bad = await submitJob(ctx, echo({ duration_ms: "never" }), { headers: { "idempotency-key": key } });
      expectStatus(bad, [400, 422], "invalid submit");
      const good = await submitJob(ctx, echo({ duration_ms: 0 }), { headers: { "idempotency-key": key } });
      expectStatus(good, 202, "valid submit with the key of a refused request");
      expect(!replayed(good), "a refused request must not store its key", good.exchange);
    },
  },
];
