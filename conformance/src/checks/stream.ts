import { expectJob, expectStatus, isTerminal, mediaType } from "../assertions.ts";
import { type Check, type CheckContext, expect, skip } from "../check.ts";
import type { HttpResponse } from "../http-recorder.ts";
import { getJob, submitEcho } from "../job-helpers.ts";

// The suite's own reading of the event-stream format (WHATWG HTML, "Server-sent events"), apart from the SDK's
// parser on purpose: it must catch a bug there too.

interface StreamEvent {
  event: string;
  id: string | undefined;
  data: string;
}

/** The events of a whole stream body (comments and data-less blocks skipped). */
function parseEvents(text: string): StreamEvent[] {
  const events: StreamEvent[] = [];
  for (const block of text.replace(/\r\n?/g, "\n").split("\n\n")) {
    let event = "message";
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line === "" || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event = value;
      else if (field === "id") id = value;
      else if (field === "data") data.push(value);
    }
    if (data.length > 0) events.push({ event, id, data: data.join("\n") });
  }
  return events;
}

const STREAM = { accept: "text/event-stream, application/json" };

/** Opens the stream of a job that ends quickly; skips the check when the server answers JSON (it does not stream). */
async function readStream(ctx: CheckContext, id: string, headers: Record<string, string> = {}): Promise<{ res: HttpResponse; events: StreamEvent[] }> {
  const res = await getJob(ctx, id, { ...STREAM, ...headers }, { timeoutMs: 20_000 });
  expectStatus(res, 200, "GET with Accept: text/event-stream, application/json");
  if (mediaType(res) !== "text/event-stream") {
    expect(mediaType(res) === "application/json", `asked for a stream or JSON, the server answered ${mediaType(res)}`, res.exchange);
    skip("the server does not stream jobs (it answered JSON, which spec §2 allows)");
  }
  return { res, events: parseEvents(res.text) };
}

/**
 * spec §2 Status, watching a job (SHOULD: only servers that stream are checked; the others answer JSON).
 *
 * @example
 * await runConformance({ baseUrl, token, checks: streamChecks });
 */
export const streamChecks: Check[] = [
  {
    id: "stream.events",
    clause: "§2 Status (stream, a MAY)",
    level: "SHOULD",
    title: "A job stream sends the job at once, one event per change with its ETag as id, and ends after the terminal event",
    needs: ["echo"],
    timeoutMs: 25_000,
    async run(ctx) {
      const { job } = await submitEcho(ctx, { value: 1, duration_ms: 900, progress_steps: 3 });
      const { res, events } = await readStream(ctx, job.id);
      expect(/\baccept\b/i.test(res.headers.get("vary") ?? ""), "a job stream must carry Vary: Accept", res.exchange);
      const jobs = events.filter((e) => e.event === "job");
      expect(jobs.length >= 2, `a job that changes ${3 + 2} times was streamed in ${jobs.length} event(s)`, res.exchange);
      const read = jobs.map((e) => expectJob(JSON.parse(e.data), res.exchange, "the data of a job event"));
      expect(read.every((j) => j.id === job.id), "every job event carries the watched job", res.exchange);
      expect(jobs.every((e) => e.id !== undefined && /^(W\/)?"[^"]*"$/.test(e.id)), "every job event carries an ETag as its id", res.exchange);
      const ids = jobs.map((e) => e.id);
      expect(new Set(ids).size === ids.length, `a job stream repeated an event id: ${ids.join(" ")}`, res.exchange);
      expect(isTerminal(read.at(-1)!.status), `the stream ended after a ${read.at(-1)!.status} job, not a terminal one`, res.exchange);
      expect(read.slice(0, -1).every((j) => !isTerminal(j.status)), "the stream went on after a terminal event", res.exchange);
      const percents = read.map((j) => j.progress?.percent ?? 0);
      expect(percents.every((p, i) => i === 0 || p >= percents[i - 1]!), `progress went back in the stream: ${percents.join(" ")}`, res.exchange);
      const current = await getJob(ctx, job.id);
      expect(current.headers.get("etag") === ids.at(-1), `the terminal event's id ${ids.at(-1)} is not the job's ETag ${current.headers.get("etag")}`, res.exchange, current.exchange);
    },
  },
  {
    id: "stream.resume",
    clause: "§2 Status (stream, a MAY)",
    level: "SHOULD",
    title: "Last-Event-ID resumes: the current terminal ETag ends the stream at once, an older one gets the terminal event",
    needs: ["echo"],
    timeoutMs: 25_000,
    async run(ctx) {
      const { job } = await submitEcho(ctx, { value: 2, duration_ms: 0 });
      const first = await readStream(ctx, job.id);
      const last = first.events.filter((e) => e.event === "job").at(-1);
      expect(last?.id !== undefined, "the stream of an ended job carried no job event with an id", first.res.exchange);
      const current = await readStream(ctx, job.id, { "last-event-id": last!.id! });
      const repeated = current.events.filter((e) => e.event === "job");
      expect(repeated.length === 0, `resuming at the terminal event's id sent ${repeated.length} job event(s) again`, current.res.exchange);
      const older = await readStream(ctx, job.id, { "last-event-id": '"conformance-older"' });
      const resent = older.events.filter((e) => e.event === "job");
      expect(resent.length === 1 && resent[0]!.id === last!.id, "resuming from an older id must send the terminal event once", older.res.exchange);
    },
  },
  {
    id: "stream.tenant-isolation",
    clause: "§2 Status (stream, a MAY)",
    level: "SHOULD",
    title: "The stream of another tenant's job is 404, as the JSON read is",
    needs: ["echo", "other-token"],
    async run(ctx) {
      const { job } = await submitEcho(ctx, { value: 3, duration_ms: 0 });
      const res = await getJob(ctx, job.id, STREAM, { token: ctx.settings.otherToken! });
      expectStatus(res, 404, "another tenant's job stream");
    },
  },
];
