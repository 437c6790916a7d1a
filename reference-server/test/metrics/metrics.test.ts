import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDatabase } from "../support/test-database.ts";
import { eventually, startTestServer, type TestServer } from "../support/test-server.ts";

/** `name{labels} value` lines of a Prometheus text exposition, as a lookup. */
function parse(text: string) {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return (series: string) => samples.get(series) ?? 0;
}

let receiver: Server;
let receiverUrl = "";
let delivered = 0;
beforeAll(async () => {
  receiver = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      delivered += 1;
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

const postgresArgs = async (name: string) => ["--store", await createTestDatabase(name)];

for (const backend of ["sqlite", "postgres"] as const) {
  describe(`--metrics on ${backend}`, () => {
    let api: TestServer;
    let idle: TestServer;
    beforeAll(async () => {
      const store = backend === "postgres" ? await postgresArgs(`metrics_${process.pid}`) : [];
      api = await startTestServer([...store, "--metrics", "--min-part-size", "1024"]);
      // No worker: what stays queued shows as queue depth.
      idle = await startTestServer([...(backend === "postgres" ? await postgresArgs(`metrics_idle_${process.pid}`) : []), "--metrics", "--no-worker"]);
    }, 30_000);
    afterAll(async () => {
      await api?.close();
      await idle?.close();
    });

    test("after a run of jobs, an upload and webhooks, the counters add up", async () => {
      const before = delivered;
      const inputs = [{}, { value: 1 }, { fail: { code: "nope", message: "no" } }, { fail_attempts: 1 }, { abandon_attempts: 1 }];
      const ids: string[] = [];
      for (const input of inputs) {
        const res = await api.request("POST", "/v1/jobs", { body: { type: "conformance.echo", input, webhook: { url: receiverUrl } } });
        expect(res.status).toBe(202);
        ids.push(res.body.id);
      }
      const replay = { body: { type: "conformance.echo", input: {} }, headers: { "idempotency-key": "metrics-key" } };
      expect((await api.request("POST", "/v1/jobs", replay)).status).toBe(202);
      const replayed = await api.request("POST", "/v1/jobs", replay); // a replay is not a new job
      expect(replayed.headers.get("idempotent-replayed")).toBe("true");
      for (const id of ids) await eventually(() => api.request("GET", `/v1/jobs/${id}`), (r) => ["succeeded", "failed"].includes(r.body.status), 20_000);
      const upload = await api.request("POST", "/v1/uploads", { body: { filename: "f", content_type: "text/plain", size: 2000, part_size: 1024 } });
      const parts = [];
      for (const part of upload.body.parts) {
        const put = await fetch(part.url, { method: "PUT", body: new Uint8Array(part.size), headers: part.headers });
        parts.push({ number: part.number, etag: put.headers.get("etag") });
      }
      expect((await api.request("POST", `/v1/uploads/${upload.body.id}/complete`, { body: { parts } })).status).toBe(200);
      await eventually(async () => delivered - before, (n) => n >= inputs.length);

      const scrape = await fetch(`${api.url}/metrics`);
      expect(scrape.status).toBe(200);
      expect(scrape.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      const m = parse(await scrape.text());
      const echo = 'type="conformance.echo"';
      expect(m(`async_jobs_jobs_submitted_total{${echo}}`)).toBe(inputs.length + 1);
      const succeeded = m(`async_jobs_job_attempts_finished_total{${echo},outcome="succeeded"}`);
      const failed = m(`async_jobs_job_attempts_finished_total{${echo},outcome="failed"}`);
      const retries = m(`async_jobs_job_attempts_finished_total{${echo},outcome="retry"}`);
      // Every submitted job ended once; the extra attempts are the retry and the lost lease.
      expect([succeeded, failed, retries]).toEqual([5, 1, 1]);
      expect(succeeded + failed).toBe(m(`async_jobs_jobs_submitted_total{${echo}}`));
      expect(m("async_jobs_lease_expiries_total")).toBe(1);
      expect(m(`async_jobs_job_run_duration_seconds_count{${echo},outcome="succeeded"}`)).toBe(succeeded);
      expect(m('async_jobs_http_requests_total{method="POST",route="/v1/jobs",status="202"}')).toBe(inputs.length + 2);
      expect(m('async_jobs_http_requests_total{method="PUT",route="/v1/uploads/:id/parts/:number",status="200"}')).toBe(2);
      expect(m("async_jobs_upload_bytes_total")).toBe(2000);
      expect(m("async_jobs_uploads_completed_total")).toBe(1);
      const deliveries = m('async_jobs_webhook_deliveries_total{outcome="delivered",attempt="1"}');
      expect(deliveries).toBe(delivered - before);
      expect(m(`async_jobs_queue_depth{${echo}}`)).toBe(0);

      for (let i = 0; i < 3; i += 1) await idle.request("POST", "/v1/jobs", { body: { type: "conformance.echo", input: {} } });
      const queued = parse(await (await fetch(`${idle.url}/metrics`)).text());
      expect(queued(`async_jobs_queue_depth{${echo}}`)).toBe(3);
      expect(queued(`async_jobs_queue_oldest_age_seconds{${echo}}`)).toBeGreaterThanOrEqual(0);
      expect(queued(`async_jobs_queue_oldest_age_seconds{${echo}}`)).toBeLessThan(60);
    }, 60_000);
  });
}

test("without --metrics there is no /metrics", async () => {
  const api = await startTestServer();
  try {
    expect((await fetch(`${api.url}/metrics`)).status).toBe(404);
  } finally {
    await api.close();
  }
});
