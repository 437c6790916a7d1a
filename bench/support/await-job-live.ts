// The live half of bench/await-job.ts (`--live`): how fast and how cheaply awaitJob notices a
// job's end against the real reference server, long poll vs plain polling, and the client's
// per-request overhead against a raw fetch. Real time, so noisy on a loaded machine; the
// plain-polling schedule itself is compared in simulated time by bench/await-job.ts.
//
// Starts the reference server (spawned from its sources, SQLite in a temp dir) and a small
// loopback proxy in front of it that counts requests and, for the "plain polling" run, strips
// the `Prefer` header: the server then answers at once with no `Preference-Applied`, exactly
// what a server without long poll does (the reference server has no switch for it).
// Both runs go through the same proxy, so the proxy's cost is the same on both sides.
// Detection delay = when awaitJob resolved − max(the job's completed_at, when the wait began).
// Plain polling is compared with fixed polls in the same run: every 1 s, and at the period that
// makes as many status requests per job as the SDK made.
// `durations: "log"` spreads durations log-uniformly over 0.1 s–MAX instead of evenly over 0–MAX.
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "async-jobs";
import { awaitJob } from "async-jobs/jobs";
import { startReferenceServer } from "../../test/helpers/reference-server.ts";
import { fixedPollAt } from "./fixed-poll.ts";

/** Options of the live run (the flags of bench/await-job.ts). */
export interface LiveOptions {
  jobs: number;
  maxDurationMs: number;
  /** Which runs: "long,plain,fixed". */
  modes: string;
  /**
   * Submits are spread by this much so that the figures measure detection, not how long the
   * server takes to absorb a burst of submits and job starts at once (try 0).
   */
  staggerMs: number;
  durations: "even" | "log";
}

/** A counting proxy; with `stripPrefer` the upstream never sees a long-poll or stream request. */
async function startCountingProxy(upstream: string) {
  const target = new URL(upstream);
  const state = { stripPrefer: false, statusGets: 0 };
  const server = createServer((req, res) => {
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: target.host };
    if (state.stripPrefer) {
      // Neither long poll nor the job stream: a server with plain polling only.
      delete headers.prefer;
      headers.accept = "application/json";
    }
    if (req.method === "GET" && /^\/v1\/jobs\/job_/.test(req.url ?? "")) state.statusGets++;
    const up = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on("error", () => res.destroy());
    res.on("close", () => !res.writableFinished && up.destroy());
    req.pipe(up);
  });
  server.keepAliveTimeout = 120_000; // longer than any poll gap: no idle-close races with the client
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, state, close: () => server.close() };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

/** How a run waits: the SDK with long poll, the SDK polling plainly, or a fixed poll every `periodMs`. */
type Mode = { name: string; kind: "long" | "plain" } | { name: string; kind: "fixed"; periodMs: number };

async function runMode(mode: Mode, baseUrl: string, token: string, proxy: Awaited<ReturnType<typeof startCountingProxy>>, durations: number[], staggerMs: number) {
  const client = createClient({ baseUrl, token });
  proxy.state.stripPrefer = mode.kind !== "long";
  proxy.state.statusGets = 0;
  const delays: number[] = [];
  // Each job is awaited right after its own submit, as an app would.
  await Promise.all(
    durations.map(async (d, i) => {
      await new Promise((r) => setTimeout(r, i * staggerMs));
      const { job } = await client.jobs.submit({ type: "conformance.echo", input: { duration_ms: d, progress_steps: 2 } });
      // A job that ended before we started waiting cannot be detected earlier than that.
      const waitStarted = Date.now();
      let done;
      if (mode.kind === "fixed") {
        for (;;) {
          const res = await fetch(`${baseUrl}/v1/jobs/${job.id}`, { headers: { authorization: `Bearer ${token}` } });
          done = (await res.json()) as { status: string; completed_at: string | null };
          if (done.completed_at) break;
          await new Promise((r) => setTimeout(r, mode.periodMs));
        }
      } else {
        done = await awaitJob(client, job.id);
      }
      delays.push(Date.now() - Math.max(waitStarted, Date.parse(done.completed_at!)));
      if (process.env.BENCH_DEBUG && delays.at(-1)! > 100) console.log(mode, job.id, d, delays.at(-1), waitStarted - Date.parse(job.created_at), done.completed_at);
    }),
  );
  const requestsPerJob = proxy.state.statusGets / durations.length;
  const meanDurationS = durations.reduce((a, b) => a + b, 0) / durations.length / 1000;
  return { mode: mode.name, p50: pct(delays, 50), p95: pct(delays, 95), p99: pct(delays, 99), max: Math.max(...delays), requestsPerJob, meanDurationS };
}

async function overhead(baseUrl: string, token: string) {
  const client = createClient({ baseUrl, token });
  const { job } = await client.jobs.submit({ type: "conformance.echo", input: {} }, { waitSeconds: 5 });
  const url = `${baseUrl}/v1/jobs/${job.id}`;
  const raw = async () => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(String(res.status));
    return res.json();
  };
  const sdk = () => client.jobs.get(job.id);
  // Alternate raw and SDK calls so that load drift on a shared machine hits both alike.
  const rawTimes: number[] = [];
  const sdkTimes: number[] = [];
  for (let i = 0; i < 3000; i++) {
    for (const [fn, into] of [[raw, rawTimes], [sdk, sdkTimes]] as const) {
      const t = performance.now();
      await fn();
      if (i >= 300) into.push(performance.now() - t); // the first 300 rounds warm up
    }
  }
  const rawMs = pct(rawTimes, 50);
  const sdkMs = pct(sdkTimes, 50);
  return { rawMs, sdkMs, ratio: sdkMs / rawMs };
}

/**
 * Runs the live modes and prints their rows.
 *
 * @example
 * await runLive({ jobs: 200, maxDurationMs: 30_000, modes: "long,plain,fixed", staggerMs: 20, durations: "even" })
 */
export async function runLive(o: LiveOptions) {
  const { jobs: JOBS, maxDurationMs: MAX_MS } = o;
  // Two progress steps each so changes happen too. Evenly over [0, MAX_MS], or log-uniformly over
  // [100 ms, MAX_MS] (many short jobs, a long tail: closer to real job mixes).
  const durations = Array.from({ length: JOBS }, (_, i) =>
    o.durations === "log" ? Math.round(100 * (MAX_MS / 100) ** (i / (JOBS - 1))) : Math.round((i * MAX_MS) / (JOBS - 1)),
  );
  const server = await startReferenceServer({ tenants: ["bench"], args: ["--worker-concurrency", String(JOBS + 10)] });
  const proxy = await startCountingProxy(server.url);
  const token = server.tokens.bench!;
  const run = (mode: Mode) => runMode(mode, proxy.url, token, proxy, durations, o.staggerMs);
  try {
    console.log(
      `${JOBS} jobs, durations spread ${o.durations === "log" ? "log-uniformly over 0.1" : "evenly over 0"}-${MAX_MS / 1000} s, submitted ${o.staggerMs} ms apart, awaited concurrently (node ${process.version})\n`,
    );
    // Warm-up (JIT, SQLite pages, connections), not measured.
    const warm = createClient({ baseUrl: proxy.url, token });
    await Promise.all(Array.from({ length: 20 }, (_, i) => warm.jobs.submitAndWait({ type: "conformance.echo", input: { duration_ms: i * 50 } })));
    const rows: Awaited<ReturnType<typeof runMode>>[] = [];
    const print = (row: (typeof rows)[number]) =>
      console.log(
        `${row.mode.padEnd(38)} detection delay p50 ${String(row.p50).padStart(5)} ms  p95 ${String(row.p95).padStart(5)} ms  ` +
          `p99 ${String(row.p99).padStart(5)} ms  max ${String(row.max).padStart(5)} ms  status requests/job ${row.requestsPerJob.toFixed(2)}`,
      );
    const allModes: Record<string, Mode> = {
      long: { name: "long poll", kind: "long" },
      plain: { name: "plain polling (SDK backoff)", kind: "plain" },
      fixed: { name: "fixed 1 s polling (baseline)", kind: "fixed", periodMs: 1000 },
    };
    for (const mode of o.modes.split(",").map((m) => allModes[m]!)) {
      rows.push(await run(mode));
      print(rows.at(-1)!);
    }
    const plain = rows.find((r) => r.mode === allModes.plain!.name);
    if (plain) {
      // The period at which a fixed poll (reads at 0, T, 2T, …) sends the SDK's request count.
      const periodMs = Math.round(fixedPollAt(durations, plain.requestsPerJob).periodMs);
      const equal = await run({ name: `fixed ${(periodMs / 1000).toFixed(2)} s polling (SDK's requests)`, kind: "fixed", periodMs });
      rows.push(equal);
      print(equal);
      const fixed1 = rows.find((r) => r.mode === allModes.fixed!.name);
      console.log(
        `\nplain polling at equal request count (${plain.requestsPerJob.toFixed(2)} vs ${equal.requestsPerJob.toFixed(2)}/job): ` +
          `p50 ${plain.p50} vs ${equal.p50} ms (${plain.p50 < equal.p50 ? "beats" : "does NOT beat"} the fixed poll), ` +
          `p95 ${plain.p95} vs ${equal.p95} ms` +
          (fixed1 ? `; against fixed 1 s: ${(plain.requestsPerJob / fixed1.requestsPerJob).toFixed(2)}× the requests, p50 ${plain.p50} vs ${fixed1.p50} ms` : ""),
      );
    }
    const lp = rows.find((r) => r.mode === "long poll");
    if (lp) console.log(
      `long poll goal: p99 < 50 ms (${lp.p99 < 50 ? "met" : "NOT met"}); requests/job ≤ 1 + mean duration/20 s + progress updates ` +
        `= ${(1 + lp.meanDurationS / 20 + 2).toFixed(2)} (${lp.requestsPerJob <= 1 + lp.meanDurationS / 20 + 2 ? "met" : "NOT met"})`,
    );
    const { rawMs, sdkMs, ratio } = await overhead(server.url, token);
    console.log(
      `per-request overhead (GET status, direct, median of 2700 alternating calls): raw fetch ${rawMs.toFixed(3)} ms, ` +
        `SDK ${sdkMs.toFixed(3)} ms, ratio ${ratio.toFixed(2)}×`,
    );
  } finally {
    proxy.close();
    await server.stop();
  }
}
