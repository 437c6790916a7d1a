import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, isApiError, type AsyncJobsClient } from "async-jobs";
import { createBaseClient, watchMany } from "async-jobs/jobs";
import { uploadFile } from "async-jobs/uploads";
import { startReferenceServer, type ReferenceServer } from "../helpers/reference-server.ts";

// watchMany and the scoped tokens over the real reference server (spec §8.2.1, §8.3).

let server: ReferenceServer;
let tenant: AsyncJobsClient;
beforeAll(async () => {
  server = await startReferenceServer({ tenants: ["a"] });
  tenant = createClient({ baseUrl: server.url, token: server.tokens.a! });
}, 90_000);
afterAll(async () => server?.stop());

async function submitEcho(input: Record<string, unknown>) {
  return (await tenant.jobs.submit({ type: "conformance.echo", input })).job.id;
}

describe("watchMany against the reference server", () => {
  it("yields every job's changes over one request, each terminal state once, with a job token", { timeout: 30_000 }, async () => {
    const a = await submitEcho({ value: "a", duration_ms: 800, progress_steps: 4 });
    const b = await submitEcho({ value: "b", duration_ms: 300 });
    const { token, expires_at } = await tenant.jobs.createToken([a, b]);
    expect(Date.parse(expires_at)).toBeGreaterThan(Date.now());
    const requests: string[] = [];
    const browser = createClient({
      baseUrl: server.url,
      token,
      fetch: (input, init) => {
        const request = new Request(input as Request, init);
        requests.push(`${request.method} ${new URL(request.url).pathname} ${request.headers.get("authorization")}`);
        return fetch(request);
      },
    });
    const seen = [];
    for await (const job of browser.jobs.watchMany({ ids: [a, b] })) seen.push(job);
    expect(requests).toEqual([`GET /v1/jobs-stream Bearer ${token}`]);
    for (const id of [a, b]) {
      const mine = seen.filter((j) => j.id === id);
      expect(mine.filter((j) => ["succeeded", "failed", "canceled"].includes(j.status))).toHaveLength(1);
      expect(mine.at(-1)!.status).toBe("succeeded");
    }
    // The job token cannot submit, and cannot read a job it does not name.
    const c = await submitEcho({ value: "c" });
    expect(await browser.jobs.submit({ type: "conformance.echo", input: { value: 1 } }).catch((e) => isApiError(e, "unauthorized"))).toBe(true);
    expect(await browser.jobs.get(c).catch((e) => isApiError(e, "not_found"))).toBe(true);
  });

  it("resumes a cut stream with the pending jobs and their ETags: nothing lost, nothing repeated", { timeout: 30_000 }, async () => {
    const a = await submitEcho({ value: "a", duration_ms: 1200, progress_steps: 4 });
    const b = await submitEcho({ value: "b", duration_ms: 100 });
    const sent: { url: string; lastEventId: string | null }[] = [];
    let cut = false;
    const client = createBaseClient({
      baseUrl: server.url,
      token: server.tokens.a!,
      fetch: async (input, init) => {
        const request = new Request(input as Request, init);
        sent.push({ url: request.url, lastEventId: request.headers.get("last-event-id") });
        const response = await fetch(request);
        if (cut || !response.body) return response;
        cut = true;
        // The first stream is cut once b's terminal event and an event of a went through.
        const reader = response.body.getReader();
        let text = "";
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            if (text.includes('"value":"b"') && /"status":"succeeded"/.test(text) && text.includes('"value":"a"')) {
              return controller.error(new TypeError("connection reset"));
            }
            const { value, done } = await reader.read();
            if (done) return controller.close();
            text += new TextDecoder().decode(value);
            controller.enqueue(value);
          },
        });
        return new Response(body, { status: response.status, headers: response.headers });
      },
    });
    const seen = [];
    for await (const job of watchMany(client, { ids: [a, b] })) seen.push(job);
    expect(sent).toHaveLength(2);
    expect(new URL(sent[1]!.url).searchParams.get("ids")).toBe(a);
    expect(sent[1]!.lastEventId).toMatch(new RegExp(`^${a} "\\d+"$`));
    const versions = seen.filter((j) => j.id === a).map((j) => j.updated_at + j.status + (j.progress?.percent ?? ""));
    expect(new Set(versions).size).toBe(versions.length);
    expect(seen.filter((j) => j.id === b && j.status === "succeeded")).toHaveLength(1);
    expect(seen.filter((j) => j.id === a).at(-1)!.status).toBe("succeeded");
  });

  it("watches a filter's jobs (the active ones when it opens)", { timeout: 30_000 }, async () => {
    const other = await startReferenceServer({ tenants: ["f"] });
    try {
      const client = createClient({ baseUrl: other.url, token: other.tokens.f! });
      const ids = await Promise.all([1, 2].map(async (value) => (await client.jobs.submit({ type: "conformance.echo", input: { value, duration_ms: 400 } })).job.id));
      const done = new Set<string>();
      for await (const job of client.jobs.watchMany({ filter: { status: ["queued", "running"] } })) if (job.status === "succeeded") done.add(job.id);
      expect(done).toEqual(new Set(ids));
    } finally {
      await other.stop();
    }
  });

  it("uploads with an upload token: the browser pattern", { timeout: 30_000 }, async () => {
    const bytes = new TextEncoder().encode("hello scoped upload");
    const { data: created } = await (await fetch(`${server.url}/v1/uploads`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.tokens.a}`, "content-type": "application/json" },
      body: JSON.stringify({ filename: "a.txt", content_type: "text/plain", size: bytes.byteLength }),
    }).then(async (r) => ({ data: (await r.json()) as { id: string } })));
    const { token, upload } = await tenant.uploads.createToken(created.id, { ttlSeconds: 60 });
    expect(upload).toBe(created.id);
    const page = createClient({ baseUrl: server.url, token });
    const done = await uploadFile(page, bytes, { resume: created.id });
    expect(done).toMatchObject({ id: created.id, status: "completed", size: bytes.byteLength });
  });
});
