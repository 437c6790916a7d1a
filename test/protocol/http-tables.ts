import { problemRegistry, problemType } from "async-jobs/protocol";
import type { Job, ProblemCode, Upload } from "async-jobs/types";
import { beforeAll, describe, expect, it } from "vitest";
import { idempotencyKeySpellings, ifNoneMatchForms, preferSpellings, rangeHeaders } from "./protocol-tables.ts";

/** Where the tables run: the msw mock or the reference server, reached by raw HTTP. */
export interface ProtocolTarget {
  /** Sends a request to a path of the API (or to an absolute signed URL). */
  send(pathOrUrl: string, init?: RequestInit): Promise<Response>;
  token: string;
  /** The `Prefer: wait` cap, seconds. */
  maxWaitSeconds: number;
}

const echo = (input: Record<string, unknown> = {}) => JSON.stringify({ type: "conformance.echo", input: { value: 1, ...input } });

/** The problem codes either target can be driven to over HTTP, and how (spec §7). */
const problemCases: { code: ProblemCode; make: (api: Api) => Promise<Response> }[] = [
  { code: "unauthorized", make: (api) => api.raw("/v1/jobs", {}) },
  { code: "not_found", make: (api) => api.call("/v1/jobs/job_00000000000000000000000000") },
  { code: "malformed_json", make: (api) => api.call("/v1/jobs", { method: "POST", body: "{", json: true }) },
  { code: "unsupported_media_type", make: (api) => api.call("/v1/jobs", { method: "POST", body: echo(), headers: { "content-type": "text/plain" } }) },
  { code: "payload_too_large", make: (api) => api.call("/v1/jobs", { method: "POST", body: echo({ value: "x".repeat(2 * 1024 * 1024) }), json: true }) },
  { code: "invalid_request", make: (api) => api.call("/v1/jobs?limit=0") },
  { code: "unknown_job_type", make: (api) => api.call("/v1/jobs", { method: "POST", body: JSON.stringify({ type: "no.such.type", input: {} }), json: true }) },
  { code: "invalid_input", make: (api) => api.call("/v1/jobs", { method: "POST", body: echo({ duration_ms: -1 }), json: true }) },
  {
    code: "idempotency_key_reused",
    make: async (api) => {
      const key = `reused-${Math.random()}`;
      await api.call("/v1/jobs", { method: "POST", body: echo({ value: 1 }), json: true, headers: { "idempotency-key": key } });
      return api.call("/v1/jobs", { method: "POST", body: echo({ value: 2 }), json: true, headers: { "idempotency-key": key } });
    },
  },
  {
    code: "job_already_terminal",
    make: async (api) => {
      const job = await api.finishedJob();
      return api.call(`/v1/jobs/${job.id}/cancel`, { method: "POST" });
    },
  },
  {
    code: "upload_not_pending",
    make: async (api) => {
      const upload = await api.upload(3);
      const etag = await api.putPart(upload, new Uint8Array(3));
      await api.call(`/v1/uploads/${upload.id}/complete`, { method: "POST", body: JSON.stringify({ parts: [{ number: 1, etag }] }), json: true });
      return api.call(`/v1/uploads/${upload.id}`, { method: "DELETE" });
    },
  },
  {
    code: "invalid_part",
    make: async (api) => api.call(`/v1/uploads/${(await api.upload(3)).id}/part-urls`, { method: "POST", body: JSON.stringify({ numbers: [99] }), json: true }),
  },
  {
    code: "upload_incomplete",
    make: async (api) =>
      api.call(`/v1/uploads/${(await api.upload(3)).id}/complete`, { method: "POST", body: JSON.stringify({ parts: [{ number: 1, etag: '"x"' }] }), json: true }),
  },
  {
    code: "size_mismatch",
    make: async (api) => {
      const part = (await api.upload(3)).parts[0]!;
      return api.raw(part.url!, { method: "PUT", headers: part.headers ?? {}, body: new Uint8Array(5) });
    },
  },
  {
    code: "invalid_signature",
    make: async (api) => {
      const part = (await api.upload(3)).parts[0]!;
      return api.raw(part.url!.replace(/signature=[^&]+/, "signature=forged"), { method: "PUT", headers: part.headers ?? {}, body: new Uint8Array(3) });
    },
  },
  {
    code: "checksum_mismatch",
    make: async (api) => {
      const upload = await api.upload(3);
      const etag = await api.putPart(upload, new Uint8Array([1, 2, 3]));
      return api.call(`/v1/uploads/${upload.id}/complete`, {
        method: "POST",
        body: JSON.stringify({ parts: [{ number: 1, etag }], sha256: "0".repeat(64) }),
        json: true,
      });
    },
  },
];

type CallInit = RequestInit & { json?: boolean; headers?: Record<string, string> };

/** Raw HTTP helpers over a target. */
interface Api {
  raw(pathOrUrl: string, init: RequestInit): Promise<Response>;
  call(path: string, init?: CallInit): Promise<Response>;
  finishedJob(): Promise<Job>;
  upload(size: number): Promise<Upload>;
  putPart(upload: Upload, bytes: Uint8Array<ArrayBuffer>): Promise<string>;
}

function apiOf(target: () => ProtocolTarget): Api {
  const api: Api = {
    raw: (pathOrUrl, init) => target().send(pathOrUrl, init),
    call: (path, { json, headers, ...init } = {}) =>
      target().send(path, {
        ...init,
        headers: { authorization: `Bearer ${target().token}`, ...(json ? { "content-type": "application/json" } : {}), ...headers },
      }),
    async finishedJob() {
      const res = await api.call("/v1/jobs", { method: "POST", body: echo(), json: true, headers: { prefer: "wait=10" } });
      let job = (await res.json()) as Job;
      for (let i = 0; i < 50 && job.status !== "succeeded"; i++) {
        job = (await (await api.call(`/v1/jobs/${job.id}`, { headers: { prefer: "wait=5" } })).json()) as Job;
      }
      expect(job.status).toBe("succeeded");
      return job;
    },
    async upload(size) {
      const res = await api.call("/v1/uploads", { method: "POST", body: JSON.stringify({ filename: "t.bin", content_type: "application/octet-stream", size }), json: true });
      expect(res.status).toBe(201);
      return (await res.json()) as Upload;
    },
    async putPart(upload, bytes) {
      const part = upload.parts[0]!;
      const res = await api.raw(part.url!, { method: "PUT", headers: part.headers ?? {}, body: bytes });
      expect(res.status).toBe(200);
      return res.headers.get("etag")!;
    },
  };
  return api;
}

/**
 * The drifted rules' tables over HTTP, one suite for any target: the msw mock and
 * the reference server must answer every row alike (spec §2, §4, §7).
 *
 * @example
 * describeProtocolOverHttp("the msw mock", () => mockTarget);
 */
export function describeProtocolOverHttp(name: string, target: () => ProtocolTarget) {
  const api = apiOf(target);

  describe(`protocol tables over HTTP against ${name}`, () => {
    describe("Prefer on submit (spec §2)", () => {
      it.each(preferSpellings)("$header", async ({ header, wait }) => {
        const res = await api.call("/v1/jobs", { method: "POST", body: echo(), json: true, headers: { prefer: header } });
        const applied = res.headers.get("preference-applied");
        if (wait === undefined) {
          expect(res.status).toBe(202);
          expect(applied).toBeNull();
        } else {
          expect(applied).toBe(`wait=${Math.min(wait, target().maxWaitSeconds)}`);
          // An instant job within a wait of a second or more is answered terminal.
          if (wait > 0) expect(res.status).toBe(200);
        }
      });
    });

    describe("If-None-Match on a status read (spec §2)", () => {
      let job: Job;
      let etag: string;
      beforeAll(async () => {
        job = await api.finishedJob();
        etag = (await api.call(`/v1/jobs/${job.id}`)).headers.get("etag")!;
      });
      it("the ETag is strong", () => expect(etag).toMatch(/^"[^"]+"$/));
      it.each(ifNoneMatchForms)("$name → 304: $matches", async ({ header, matches }) => {
        const res = await api.call(`/v1/jobs/${job.id}`, { headers: { "if-none-match": header(etag) } });
        expect(res.status).toBe(matches ? 304 : 200);
        expect(res.headers.get("etag")).toBe(etag);
      });
    });

    describe("Idempotency-Key spellings (spec §2)", () => {
      it.each(idempotencyKeySpellings)("$header", async ({ header, key }) => {
        const body = echo({ value: "same" });
        const first = await api.call("/v1/jobs", { method: "POST", body, json: true, headers: { "idempotency-key": header } });
        if (key === "malformed") {
          expect(first.status).toBe(400);
          expect(((await first.json()) as { code: string }).code).toBe("invalid_request");
          return;
        }
        expect(first.status).toBe(202);
        // The same key spelled the other way is the same key: a replay of the same job.
        const quoted = `"${key.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
        const other = header === quoted ? key : quoted;
        const again = await api.call("/v1/jobs", { method: "POST", body, json: true, headers: { "idempotency-key": other } });
        expect(again.headers.get("idempotent-replayed")).toBe("true");
        expect(((await again.json()) as Job).id).toBe(((await first.json()) as Job).id);
      });
    });

    describe("problem codes (spec §7)", () => {
      it.each(problemCases)("$code", async ({ code, make }) => {
        const res = await make(api);
        expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
        const problem = (await res.json()) as { type: string; code: string; status: number };
        expect({ status: res.status, code: problem.code, type: problem.type }).toEqual({
          status: problemRegistry[code].status,
          code,
          type: problemType(code),
        });
        expect(problem.status).toBe(res.status);
      });

      it("DELETE of an upload is idempotent: aborting it again is 204", async () => {
        const upload = await api.upload(3);
        expect((await api.call(`/v1/uploads/${upload.id}`, { method: "DELETE" })).status).toBe(204);
        expect((await api.call(`/v1/uploads/${upload.id}`, { method: "DELETE" })).status).toBe(204);
      });

      it("a failed job's error has the type of its own code", async () => {
        const res = await api.call("/v1/jobs", {
          method: "POST",
          body: echo({ fail: { code: "report_too_large", message: "Too many pages." } }),
          json: true,
          headers: { prefer: "wait=10" },
        });
        const job = (await res.json()) as Job;
        expect(job.status).toBe("failed");
        expect(job.error).toMatchObject({ code: "report_too_large", type: problemType("report_too_large"), status: 500 });
      });
    });

    describe("Range on a presigned download (spec §4)", () => {
      let url: string;
      let whole: Uint8Array;
      beforeAll(async () => {
        const upload = await api.upload(10);
        const etag = await api.putPart(upload, new TextEncoder().encode("0123456789"));
        expect((await api.call(`/v1/uploads/${upload.id}/complete`, { method: "POST", body: JSON.stringify({ parts: [{ number: 1, etag }] }), json: true })).status).toBe(200);
        const res = await api.call("/v1/jobs", {
          method: "POST",
          body: JSON.stringify({ type: "file.gzip", input: { upload_id: upload.id } }),
          json: true,
          headers: { prefer: "wait=10" },
        });
        let job = (await res.json()) as Job;
        for (let i = 0; i < 50 && job.status !== "succeeded"; i++) {
          job = (await (await api.call(`/v1/jobs/${job.id}`, { headers: { prefer: "wait=5" } })).json()) as Job;
        }
        url = (job.result as { download: { url: string } }).download.url;
        whole = new Uint8Array(await (await api.raw(url, {})).arrayBuffer());
        expect(whole.length).toBeGreaterThanOrEqual(10);
      });

      it.each(rangeHeaders)("$name → $status", async ({ header, status, bytes }) => {
        const value = header(whole.length);
        const res = await api.raw(url, value === undefined ? {} : { headers: { range: value } });
        expect(res.status).toBe(status);
        if (status === 416) {
          expect(res.headers.get("content-range")).toBe(`bytes */${whole.length}`);
          expect(((await res.json()) as { code: string }).code).toBe("invalid_request");
          return;
        }
        const [start, end] = bytes!(whole.length);
        expect(new Uint8Array(await res.arrayBuffer())).toEqual(whole.slice(start, end + 1));
        if (status === 206) expect(res.headers.get("content-range")).toBe(`bytes ${start}-${end}/${whole.length}`);
      });
    });
  });
}
