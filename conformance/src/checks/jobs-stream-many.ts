import { expectJob, expectStatus, isTerminal, mediaType } from "../assertions.ts";
import { type Check, type CheckContext, expect, skip } from "../check.ts";
import type { HttpResponse } from "../http-recorder.ts";
import { submitEcho } from "../job-helpers.ts";

// The suite's own reading of spec §8.2.1 (many jobs in one stream).

interface ManyEvent {
  jobId: string;
  etag: string;
  status: string;
  raw: string;
}

/** The `event: job` blocks of a whole stream, with their `<job id> <ETag>` ids split. */
function jobEvents(res: HttpResponse): ManyEvent[] {
  const events: ManyEvent[] = [];
  for (const block of res.text.replace(/\r\n?/g, "\n").split("\n\n")) {
    const lines = block.split("\n").filter((l) => !l.startsWith(":"));
    const field = (name: string) => lines.find((l) => l.startsWith(`${name}:`))?.slice(name.length + 1).replace(/^ /, "");
    if (field("event") !== "job") continue;
    const id = field("id") ?? "";
    const job = expectJob(JSON.parse(field("data") ?? "null"), res.exchange, "the data of a job event");
    const space = id.indexOf(" ");
    events.push({ jobId: id.slice(0, space), etag: id.slice(space + 1), status: job.status, raw: id });
    expect(id.slice(0, space) === job.id, `an event id must start with its job's id: "${id}" carries ${job.id}`, res.exchange);
  }
  return events;
}

/** Opens a many-jobs stream that ends on its own; skips, loudly, when the server does not offer it. */
async function openMany(ctx: CheckContext, ids: string[], headers: Record<string, string> = {}): Promise<HttpResponse> {
  const res = await ctx.http.request("GET", `/v1/jobs-stream?ids=${ids.map(encodeURIComponent).join(",")}`, { headers: { accept: "text/event-stream", ...headers }, timeoutMs: 20_000 });
  // The ids are the tenant's own jobs, so a 404 can only mean "no such route".
  if (res.status === 404) skip("the many-jobs stream is not offered: GET /v1/jobs-stream answered 404 (spec §8.2.1 is a MAY)");
  expectStatus(res, 200, "GET /v1/jobs-stream");
  expect(mediaType(res) === "text/event-stream", `a many-jobs stream is text/event-stream, not ${mediaType(res)}`, res.exchange);
  return res;
}

const twoJobs = (ctx: CheckContext) =>
  Promise.all([1, 2].map(async (value) => (await submitEcho(ctx, { value, duration_ms: 300 * value, progress_steps: 2 })).job.id));

/**
 * spec §8.2.1 Many jobs in one stream. Offering it is a MAY; a server that offers it MUST follow
 * its rules, so these are MUST checks gated on the feature: a `404` skips them as "not offered".
 *
 * @example
 * await runConformance({ baseUrl, token, checks: jobsStreamChecks });
 */
export const jobsStreamChecks: Check[] = [
  {
    id: "stream-many.events",
    clause: "§2 Status (many-jobs stream, §8.2.1)",
    level: "MUST",
    title: "A many-jobs stream sends each job's changes with `<job id> <ETag>` ids, each terminal event once and last, then ends",
    needs: ["echo"],
    timeoutMs: 25_000,
    async run(ctx) {
      const ids = await twoJobs(ctx);
      const res = await openMany(ctx, ids);
      const events = jobEvents(res);
      for (const id of ids) {
        const mine = events.filter((e) => e.jobId === id);
        expect(mine.length > 0, `job ${id} had no event in the stream`, res.exchange);
        expect(mine.every((e) => /^(W\/)?"[^"]*"$/.test(e.etag)), `event ids of ${id} must end with an ETag: ${mine.map((e) => e.raw).join(" | ")}`, res.exchange);
        expect(new Set(mine.map((e) => e.etag)).size === mine.length, `job ${id} repeated an event`, res.exchange);
        expect(mine.filter((e) => isTerminal(e.status)).length === 1 && isTerminal(mine.at(-1)!.status), `job ${id} must have exactly one terminal event, its last`, res.exchange);
      }
    },
  },
  {
    id: "stream-many.resume",
    clause: "§2 Status (many-jobs stream, §8.2.1)",
    level: "MUST",
    title: "Last-Event-ID with `<job id> <ETag>` pairs resumes each job: a known terminal event is not sent again",
    needs: ["echo"],
    timeoutMs: 25_000,
    async run(ctx) {
      const ids = await twoJobs(ctx);
      const first = jobEvents(await openMany(ctx, ids));
      const last = ids.map((id) => first.filter((e) => e.jobId === id).at(-1));
      if (last.some((e) => e === undefined)) skip("the first stream did not show both jobs (stream-many.events says why)");
      const both = await openMany(ctx, ids, { "last-event-id": last.map((e) => e!.raw).join(", ") });
      expect(jobEvents(both).length === 0, "with both terminal events acknowledged, the stream must end with no event", both.exchange);
      const one = await openMany(ctx, ids, { "last-event-id": last[0]!.raw });
      const again = jobEvents(one);
      expect(again.length === 1 && again[0]!.jobId === ids[1], `with only ${ids[0]}'s terminal event acknowledged, only ${ids[1]}'s must come: ${again.map((e) => e.raw).join(" | ")}`, one.exchange);
    },
  },
];
