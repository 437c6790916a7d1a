import { describe, expect, it } from "vitest";
import { readJobEvents, type JobEvent } from "../../src/jobs/read-job-events.ts";

// The lazily loaded reader of a job stream's body: job events only, and the three ways a read
// ends early (silence, abort, a cut body), through real ReadableStreams.

type Job = { id: string; status: string };

/** A body that sends `chunks` and then stays open (or errors with `cut`). */
function body(chunks: string[], cut?: Error): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      if (cut) controller.error(cut);
    },
  });
}

async function collect(events: AsyncGenerator<JobEvent<Job>>) {
  const seen: JobEvent<Job>[] = [];
  try {
    for await (const event of events) seen.push(event);
    return { seen };
  } catch (error) {
    return { seen, error };
  }
}

describe("readJobEvents", () => {
  it("yields the job events (id and parsed job) across chunk splits, skipping other events, and ends with the body", async () => {
    const text = 'event: job\nid: "1"\ndata: {"id":"job_1","status":"running"}\n\n: keep-alive\n\nevent: other\ndata: x\n\nevent: job\nid: "2"\ndata: {"id":"job_1","status":"succeeded"}\n\n';
    const retries: number[] = [];
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const bytes = new TextEncoder().encode(`retry: 250\n\n${text}`);
        for (let i = 0; i < bytes.length; i += 7) controller.enqueue(bytes.slice(i, i + 7));
        controller.close();
      },
    });
    const { seen, error } = await collect(readJobEvents<Job>(stream, undefined, 1_000, (ms) => retries.push(ms)));
    expect(error).toBeUndefined();
    expect(seen).toEqual([
      { id: '"1"', job: { id: "job_1", status: "running" } },
      { id: '"2"', job: { id: "job_1", status: "succeeded" } },
    ]);
    expect(retries).toEqual([250]);
  });

  it("a body silent for idleMs is a TypeError (a dead connection: the caller reconnects)", async () => {
    const started = Date.now();
    const { seen, error } = await collect(readJobEvents<Job>(body(['event: job\nid: "1"\ndata: {"id":"job_1","status":"queued"}\n\n']), undefined, 50, () => {}));
    expect(seen).toHaveLength(1);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe("The job stream went silent.");
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("an abort ends the read at once with the signal's reason", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("enough")), 20);
    const { error } = await collect(readJobEvents<Job>(body([]), controller.signal, 10_000, () => {}));
    expect((error as Error).message).toBe("enough");
  });

  it("a cut body is a TypeError whose cause is the transport's error", async () => {
    const cut = new Error("socket hang up");
    const { error } = await collect(readJobEvents<Job>(body([], cut), undefined, 10_000, () => {}));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).cause).toBe(cut);
  });
});
