// Bench: how soon awaitJob notices a job's end on a server WITHOUT long poll (plain polling),
// against a fixed-interval poll that sends the same mean number of requests (issue 14).
//
//   npx tsx --conditions=async-jobs-source bench/await-job.ts [--jobs 2000] [--seed 1]
//     [--retry-after-s 1] [--progress-steps 0] [--factor F] [--max-ms M]   (F, M: poll options)
//     [--progress-at even|random] [--estimate]
//   … bench/await-job.ts --live [--live-jobs 200] [--max-duration-ms 30000] [--modes long,plain,fixed]
//
// Simulated time: the real awaitJob (defaults: stream probe, Prefer: wait, ETags, the poll
// schedule) runs against an injected fetch that plays a server ignoring `Prefer` (it answers at
// once, no `Preference-Applied`, `Retry-After` on every non-terminal answer as spec §1.9 asks),
// and an injected clock whose sleep only moves a virtual now. No real sleeps, no network: the
// figures measure the schedule alone and are the same on every run for one seed (~15 s).
//
// Per distribution, over the same sampled durations D (one job at a time, its wait starting
// when it is submitted, at virtual 0):
// - SDK: detection delay = virtual time when awaitJob resolved − D; requests = status reads.
// - fixed at equal requests: reads at 0, T, 2T, … (the same first read at 0 as awaitJob), so
//   requests = 1 + ⌈D/T⌉ and delay = ⌈D/T⌉·T − D, with T found by bisection so that the mean
//   request count equals the SDK's on that distribution. "Beats" = lower mean delay than it.
// - fixed 1 s, the issue's baseline, for reference.
// `--progress-steps S` gives each job S progress reports before its end, evenly spaced or at
// `--progress-at random` times (S sorted uniform draws: an uneven rate, as real jobs report).
// `--estimate` makes the simulated server suggest `Retry-After` from that progress with the
// reference server's own rule (reference-server/src/store/poll-estimate.ts) instead of a fixed value.
// `--live` adds the old real-time runs against the reference server (long poll, plain polling
// through a Prefer-stripping proxy, per-request overhead): bench/support/await-job-live.ts.
import { parseArgs } from "node:util";
import { awaitJob, createBaseClient, type PollOptions, type RetryClock } from "async-jobs/jobs";
import { formatRetryAfter } from "async-jobs/protocol";
import { makeJob } from "../test/helpers/job-fixture.ts";
import { percentile } from "./server/bench-row.ts";
import { estimatedEnd, suggestedPollSeconds } from "../reference-server/src/store/poll-estimate.ts";
import { runLive } from "./support/await-job-live.ts";
import { fixedPoll, fixedPollAt, mean } from "./support/fixed-poll.ts";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "2000" },
    seed: { type: "string", default: "1" },
    "retry-after-s": { type: "string", default: "1" },
    "progress-steps": { type: "string", default: "0" },
    "progress-at": { type: "string", default: "even" },
    estimate: { type: "boolean", default: false },
    factor: { type: "string" },
    "max-ms": { type: "string" },
    live: { type: "boolean", default: false },
    "live-jobs": { type: "string", default: "200" },
    "max-duration-ms": { type: "string", default: "30000" },
    modes: { type: "string", default: "long,plain,fixed" },
    "stagger-ms": { type: "string", default: "20" },
    durations: { type: "string", default: "even" },
  },
});
const JOBS = Number(values.jobs);
const RETRY_AFTER_S = Number(values["retry-after-s"]);
const PROGRESS_STEPS = Number(values["progress-steps"]);
const PROGRESS_AT_RANDOM = values["progress-at"] === "random";
const ESTIMATE = values.estimate;
const poll: PollOptions = {
  ...(values.factor && { factor: Number(values.factor) }),
  ...(values["max-ms"] && { maxMs: Number(values["max-ms"]) }),
};

/** mulberry32: a seeded uniform [0, 1) source, so that every run draws the same numbers. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const gaussian = (random: () => number) => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const exponential = (random: () => number, meanMs: number) => -meanMs * Math.log(1 - random());
/** Redraws above `maxMs` (a distribution truncated there, not a pile of jobs at exactly `maxMs`). */
const upTo = (maxMs: number, draw: (random: () => number) => number) => (random: () => number) => {
  for (;;) {
    const ms = draw(random);
    if (ms <= maxMs) return ms;
  }
};

// Job durations in ms. Short and bounded, memoryless, and three long-tailed ones; the last is
// the old bench's spread (evenly over 0–30 s).
const distributions: Array<{ name: string; draw: (random: () => number) => number }> = [
  { name: "uniform 0.2–3 s", draw: (r) => 200 + r() * 2800 },
  { name: "exponential, mean 2 s", draw: (r) => exponential(r, 2000) },
  { name: "log-normal, median 2 s, σ 1.2, ≤ 60 s", draw: upTo(60_000, (r) => 2000 * Math.exp(1.2 * gaussian(r))) },
  { name: "Pareto, 0.5 s, α 1.2, ≤ 60 s", draw: upTo(60_000, (r) => 500 / (1 - r()) ** (1 / 1.2)) },
  { name: "70 % exp. 0.5 s + 30 % exp. 10 s, ≤ 60 s", draw: upTo(60_000, (r) => exponential(r, r() < 0.7 ? 500 : 10_000)) },
  { name: "uniform 0–30 s", draw: (r) => r() * 30_000 },
];

const p95 = (xs: readonly number[]) => percentile([...xs].sort((a, b) => a - b), 95);

/** When a job of `durationMs` reports its `PROGRESS_STEPS` progress steps, ms after its start (= its submit). */
function progressTimes(durationMs: number, random: () => number): number[] {
  const at = Array.from({ length: PROGRESS_STEPS }, (_, k) => (PROGRESS_AT_RANDOM ? random() : (k + 1) / (PROGRESS_STEPS + 1)) * durationMs);
  return at.sort((a, b) => a - b);
}

/**
 * A server without long poll, for one job at a time, started at its submit (virtual 0): the job
 * ends at virtual `endsAt` after a progress change at each of `stepsAt`; a conditional read that
 * matches answers `304`.
 */
function simulatedServer(clock: { t: number }) {
  const job = { endsAt: 0, stepsAt: [] as number[], reads: 0 };
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    job.reads++;
    const done = clock.t >= job.endsAt;
    // Representation version: one per progress step reached, and one more at the end.
    const steps = job.stepsAt.filter((at) => at <= clock.t).length;
    const version = done ? PROGRESS_STEPS + 1 : steps;
    const updatedAt = done ? job.endsAt : steps === 0 ? 0 : job.stepsAt[steps - 1]!;
    const progress = steps === 0 ? null : { percent: Math.round((100 * steps) / (PROGRESS_STEPS + 1)), message: null };
    const headers = new Headers({ etag: `"${version}"`, "content-type": "application/json" });
    if (!done) {
      const estimate = ESTIMATE ? estimatedEnd({ status: "running", attempt: 1, cancelRequested: false, progress, startedAt: 0, updatedAt }) : null;
      headers.set("retry-after", formatRetryAfter(suggestedPollSeconds(estimate, clock.t, RETRY_AFTER_S)));
    }
    if (request.headers.get("if-none-match") === `"${version}"`) return new Response(null, { status: 304, headers });
    // updated_at: when the current version began, so that awaitJob sees each change once.
    const at = new Date(Date.UTC(2026, 0, 1) + updatedAt).toISOString();
    const body = done
      ? makeJob({ status: "succeeded", result: { ok: true }, updated_at: at, completed_at: at })
      : makeJob({ status: "running", progress, updated_at: at });
    return Response.json(body, { headers });
  };
  return { job, fetch: fetch as typeof globalThis.fetch };
}

/** awaitJob on each duration, in virtual time: delays and request counts per job. */
async function runSdk(durations: readonly number[], random: () => number, progressRandom: () => number) {
  const clock = { t: 0 };
  const virtual: RetryClock = {
    now: () => clock.t,
    random,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      clock.t += ms;
    },
  };
  const server = simulatedServer(clock);
  const client = createBaseClient({ baseUrl: "http://jobs.test", token: "t", fetch: server.fetch, clock: virtual });
  const delays: number[] = [];
  const requests: number[] = [];
  for (const d of durations) {
    Object.assign(server.job, { endsAt: d, stepsAt: progressTimes(d, progressRandom), reads: 0 });
    clock.t = 0;
    await awaitJob(client, "job_1", { poll });
    delays.push(clock.t - d);
    requests.push(server.job.reads);
  }
  return { delays, requests };
}

const seed = Number(values.seed);
console.log(
  `Plain polling in simulated time: ${JOBS} jobs per distribution, server Retry-After ${RETRY_AFTER_S} s, ` +
    `${PROGRESS_STEPS} progress changes per job${PROGRESS_STEPS ? ` (${PROGRESS_AT_RANDOM ? "at random times" : "evenly spaced"})` : ""}` +
    `${ESTIMATE ? ", Retry-After estimated from progress" : ""}, poll options ${JSON.stringify(poll)} over the SDK defaults, seed ${seed}\n`,
);
const cell = (xs: readonly number[]) => `${Math.round(mean(xs))} / ${Math.round(p95(xs))} ms`;
const header = ["durations (mean)", "SDK delay mean / p95", "req", "fixed T at equal req", "delay mean / p95", "ratio mean", "ratio p95", "fixed 1 s: delay / req"];
const table: string[][] = [];
const started = performance.now();
for (const [i, { name, draw }] of distributions.entries()) {
  const random = seeded(seed * 1000 + i);
  const durations = Array.from({ length: JOBS }, () => draw(random));
  const sdk = await runSdk(durations, seeded(seed * 1000 + 500 + i), seeded(seed * 1000 + 700 + i));
  const requests = mean(sdk.requests);
  const equal = fixedPollAt(durations, requests);
  const oneSecond = fixedPoll(durations, 1000);
  const ratio = mean(sdk.delays) / mean(equal.delays);
  table.push([
    `${name} (${(mean(durations) / 1000).toFixed(2)} s)`,
    cell(sdk.delays),
    requests.toFixed(2),
    `${(equal.periodMs / 1000).toFixed(3)} s (${mean(equal.requests).toFixed(2)} req)`,
    cell(equal.delays),
    `${ratio.toFixed(2)}× ${ratio.toFixed(2) === "1.00" ? "ties" : ratio < 1 ? "beats" : "does NOT beat"}`,
    `${(p95(sdk.delays) / p95(equal.delays)).toFixed(2)}×`,
    `${cell(oneSecond.delays)} / ${mean(oneSecond.requests).toFixed(2)}`,
  ]);
}
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
for (const row of [header, ...table]) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join("  "));
console.log(`\n(${((performance.now() - started) / 1000).toFixed(1)} s of real time; ratio = SDK ÷ fixed poll at the SDK's mean request count, < 1 beats it)`);

if (values.live) {
  console.log("\nLive, against the reference server:\n");
  await runLive({
    jobs: Number(values["live-jobs"]),
    maxDurationMs: Number(values["max-duration-ms"]),
    modes: values.modes,
    staggerMs: Number(values["stagger-ms"]),
    durations: values.durations === "log" ? "log" : "even",
  });
}
