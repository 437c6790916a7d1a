import { createClient, isApiError, isJobCanceledError, isJobFailedError, type Job } from "async-jobs";
import { uploadFile } from "async-jobs/uploads";
import { describe, expect, it } from "vitest";

/** Where the scenarios run: a base URL and token (the msw mock or a real server). */
export interface ScenarioTarget {
  baseUrl: string;
  token: string;
}

const sha256Hex = async (bytes: Uint8Array<ArrayBuffer>) =>
  Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)), (b) => b.toString(16).padStart(2, "0")).join("");

/**
 * The SDK's integration scenarios as one suite over a target, so the msw mock and the real
 * reference server are held to the same behaviour. Only uses the public SDK.
 *
 * @example
 * describeScenarios("msw", () => ({ baseUrl: mock.baseUrl, token: "t" }));
 */
export function describeScenarios(name: string, target: () => ScenarioTarget) {
  const client = () => createClient({ baseUrl: target().baseUrl, token: target().token, retry: { initialDelayMs: 20, maxDelayMs: 100 } });

  describe(`SDK scenarios against ${name}`, () => {
    it("submitAndWait returns the echoed value with progress reported in order", async () => {
      const seen: Job[] = [];
      const job = await client().jobs.submitAndWait(
        { type: "conformance.echo", input: { value: { hello: "world" }, duration_ms: 300, progress_steps: 3 } },
        { onProgress: (j) => seen.push(j) },
      );
      expect(job.status).toBe("succeeded");
      expect(job.result).toEqual({ value: { hello: "world" } });
      expect(seen.at(-1)?.status).toBe("succeeded");
      const percents = seen.map((j) => j.progress?.percent ?? 0);
      expect(percents).toEqual([...percents].sort((a, b) => a - b));
    });

    it("a job that fails for good rejects with JobFailedError carrying its code", async () => {
      const error = await client()
        .jobs.submitAndWait({ type: "conformance.echo", input: { fail: { code: "report_too_large", message: "too many pages" } } })
        .catch((e: unknown) => e);
      expect(isJobFailedError(error)).toBe(true);
      if (!isJobFailedError(error)) return;
      expect(error.problem.code).toBe("report_too_large");
      expect(error.job.status).toBe("failed");
    });

    it("cancel: a running job ends canceled, canceling again is 200, a succeeded job is 409", async () => {
      const c = client();
      const { job } = await c.jobs.submit({ type: "conformance.echo", input: { duration_ms: 60_000, progress_steps: 1 } });
      const waiting = c.jobs.wait(job.id).catch((e: unknown) => e);
      const canceled = await c.jobs.cancel(job.id);
      expect(canceled.cancel_requested).toBe(true);
      expect(isJobCanceledError(await waiting)).toBe(true);
      expect((await c.jobs.cancel(job.id)).status).toBe("canceled");
      const done = await c.jobs.submitAndWait({ type: "conformance.echo", input: { value: 1 } });
      const refused = await c.jobs.cancel(done.id).catch((e: unknown) => e);
      expect(isApiError(refused, "job_already_terminal")).toBe(true);
    });

    it("idempotency: the same key replays the same job; another body with it is 422", async () => {
      const c = client();
      const key = `scenario-${Math.random()}`;
      const first = await c.jobs.submit({ type: "conformance.echo", input: { value: "a" } }, { idempotencyKey: key });
      const again = await c.jobs.submit({ type: "conformance.echo", input: { value: "a" } }, { idempotencyKey: key });
      expect(first.replayed).toBe(false);
      expect(again.replayed).toBe(true);
      expect(again.job.id).toBe(first.job.id);
      const reused = await c.jobs.submit({ type: "conformance.echo", input: { value: "b" } }, { idempotencyKey: key }).catch((e: unknown) => e);
      expect(isApiError(reused, "idempotency_key_reused")).toBe(true);
    });

    it("semantic refusals are typed: unknown_job_type, invalid_input with errors, not_found", async () => {
      const c = client();
      const unknown = await c.jobs.submit({ type: "video.transcode", input: {} } as never).catch((e: unknown) => e);
      expect(isApiError(unknown, "unknown_job_type")).toBe(true);
      const invalid = await c.jobs.submit({ type: "conformance.echo", input: { duration_ms: -1 } }).catch((e: unknown) => e);
      expect(isApiError(invalid, "invalid_input")).toBe(true);
      if (isApiError(invalid)) expect(invalid.problem.errors?.map((e) => e.path)).toContain("/input/duration_ms");
      const missing = await c.jobs.get("job_does_not_exist").catch((e: unknown) => e);
      expect(isApiError(missing, "not_found")).toBe(true);
    });

    it("list walks every page newest first without repeats", async () => {
      const c = client();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await c.jobs.submit({ type: "conformance.echo", input: { value: i } })).job.id);
      const listed: string[] = [];
      for await (const job of c.jobs.list({ limit: 2, type: "conformance.echo" })) listed.push(job.id);
      expect(new Set(listed).size).toBe(listed.length);
      const ours = listed.filter((id) => ids.includes(id));
      expect(ours).toEqual([...ids].reverse());
    });

    it("job types list the three built-in types with schemas", async () => {
      const types = await client().jobs.types();
      expect(types.map((t) => t.type)).toEqual(expect.arrayContaining(["conformance.echo", "file.checksum", "file.gzip"]));
      expect(types.every((t) => typeof t.input_schema === "object")).toBe(true);
    });

    it("an upload in several parts feeds file.checksum and file.gzip, whose download gunzips to the original", async () => {
      const c = client();
      // Both targets allow 1 MiB parts (the mock and the server are started with that minimum).
      const bytes = new Uint8Array(2 * 1024 * 1024 + 12_345);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 11)) & 0xff;
      const upload = await uploadFile(c, bytes, { filename: "data.bin", partSize: 1024 * 1024, checksum: true });
      expect(upload.status).toBe("completed");
      expect(upload.part_count).toBe(3);
      const checksum = await c.jobs.submitAndWait({ type: "file.checksum", input: { upload_id: upload.id, algorithm: "sha256" } });
      expect(checksum.result).toEqual({ sha256: await sha256Hex(bytes), size: bytes.length });
      const gzip = await c.jobs.submitAndWait({ type: "file.gzip", input: { upload_id: upload.id } });
      const response = await fetch(gzip.result.download.url);
      expect(response.status).toBe(200);
      const unzipped = new Uint8Array(await new Response(response.body!.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
      expect(await sha256Hex(unzipped)).toBe(await sha256Hex(bytes));
      expect(gzip.result.gzip_size).toBe(Number(response.headers.get("content-length") ?? gzip.result.gzip_size));
    });

    it("a job on a missing upload is invalid_input", async () => {
      const error = await client().jobs.submit({ type: "file.checksum", input: { upload_id: "upl_missing" } }).catch((e: unknown) => e);
      expect(isApiError(error, "invalid_input")).toBe(true);
    });
  });
}
