import { createHash } from "node:crypto";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createClient, isApiError, isAsyncJobsError, isNetworkError } from "async-jobs";
import { createFetchPartTransport, uploadFile, type PartTransport, type UploadProgress } from "async-jobs/uploads";
import { problem } from "../helpers/job-fixture.ts";
import { createFakeUploadServer } from "./fake-upload-server.ts";

// uploadFile against an in-memory msw server (spec §4): one flow for every size, per-part
// retry and URL renewal, abort and resume, progress, and every error it can throw.
const base = "http://uploads.test";
const server = setupServer();
let fake = createFakeUploadServer({ base });
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => {
  server.resetHandlers();
  fake = createFakeUploadServer({ base });
});
afterAll(() => server.close());

const client = () => createClient({ baseUrl: base, token: "t", retry: { initialDelayMs: 1, maxDelayMs: 2 } });
function useFake(options: { minPartSize?: number; urlsPerAnswer?: number } = {}) {
  fake = createFakeUploadServer({ base, ...options });
  server.use(...fake.handlers);
  return fake;
}
const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const streamOf = (b: Uint8Array, chunk = 7) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (let at = 0; at < b.byteLength; at += chunk) c.enqueue(b.slice(at, at + chunk));
      c.close();
    },
  });
const completes = () => fake.log.filter((e) => e.path.endsWith("/complete"));

describe("one flow for every size", () => {
  for (const size of [0, 1, 10, 11, 95]) {
    it(`uploads ${size} B in ${Math.max(1, Math.ceil(size / 10))} part(s) of 10 B and completes with every ETag`, async () => {
      useFake();
      const data = bytes(size);
      const upload = await uploadFile(client(), data, { partSize: 10 });
      expect(upload.status).toBe("completed");
      expect(Buffer.from(fake.fileBytes(upload.id)).equals(Buffer.from(data))).toBe(true);
      const count = Math.max(1, Math.ceil(size / 10));
      expect(fake.puts()).toHaveLength(count);
      const body = completes()[0]!.body as { parts: { number: number; etag: string }[]; sha256?: string };
      expect(body.parts.map((p) => p.number)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
      expect(body.parts.every((p) => /^".+"$/.test(p.etag))).toBe(true);
      expect(body.sha256).toBeUndefined();
    });
  }

  it("asks for 8 MiB parts by default, so a small file is one part", async () => {
    useFake();
    await uploadFile(client(), bytes(1000));
    expect((fake.log[0]!.body as { part_size: number }).part_size).toBe(8 * 2 ** 20);
    expect(fake.puts()).toHaveLength(1);
  });

  it("takes filename and content type from a File, and lets options override them", async () => {
    useFake();
    await uploadFile(client(), new File([bytes(5)], "talk.mp4", { type: "video/mp4" }));
    await uploadFile(client(), new File([bytes(5)], "talk.mp4", { type: "video/mp4" }), { filename: "x.bin", contentType: "application/x-test" });
    await uploadFile(client(), bytes(5));
    const creates = fake.log.filter((e) => e.path === "/v1/uploads").map((e) => e.body as { filename: string; content_type: string });
    expect(creates).toEqual([
      expect.objectContaining({ filename: "talk.mp4", content_type: "video/mp4" }),
      expect.objectContaining({ filename: "x.bin", content_type: "application/x-test" }),
      expect.objectContaining({ filename: "upload.bin", content_type: "application/octet-stream" }),
    ]);
  });

  it("sends Blob slices, ArrayBuffers, typed-array views and streams byte for byte", async () => {
    useFake();
    const data = bytes(57);
    const padded = new Uint8Array(70);
    padded.set(data, 5);
    const sources = [
      () => uploadFile(client(), new Blob([data]), { partSize: 8 }),
      () => uploadFile(client(), data.slice().buffer, { partSize: 8 }),
      () => uploadFile(client(), new DataView(padded.buffer, 5, 57), { partSize: 8 }),
      () => uploadFile(client(), streamOf(data, 5), { partSize: 8, size: 57 }),
    ];
    for (const send of sources) {
      const upload = await send();
      expect(Buffer.from(fake.fileBytes(upload.id)).equals(Buffer.from(data))).toBe(true);
    }
  });

  it("never has more than `concurrency` part PUTs in flight, and does use them", async () => {
    useFake();
    let inFlight = 0;
    let peak = 0;
    fake.setFault(async () => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight -= 1;
      return undefined;
    });
    await uploadFile(client(), bytes(200), { partSize: 10, concurrency: 3 });
    expect(peak).toBe(3);
    expect(fake.puts()).toHaveLength(20);
  });

  it("signs parts beyond the first 100 through part-urls in batches of at most 100, each part sent once", async () => {
    useFake({ urlsPerAnswer: 100 });
    const upload = await uploadFile(client(), bytes(2_505), { partSize: 10, concurrency: 4 });
    expect(upload.part_count).toBe(251);
    const batches = fake.log.filter((e) => e.path.endsWith("/part-urls")).map((e) => (e.body as { numbers: number[] }).numbers);
    expect(batches.every((b) => b.length >= 1 && b.length <= 100)).toBe(true);
    expect(batches.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 151 }, (_, i) => i + 101));
    expect(batches.length).toBeLessThanOrEqual(4);
    expect(fake.puts().map((p) => p.path).sort()).toEqual([...new Set(fake.puts().map((p) => p.path))].sort());
  });

  it("rejects a bad concurrency and a stream without size before any request", async () => {
    useFake();
    await expect(uploadFile(client(), bytes(3), { concurrency: 0 })).rejects.toThrow(RangeError);
    // @ts-expect-error a stream needs options.size (checked at compile time too)
    await expect(uploadFile(client(), streamOf(bytes(3)))).rejects.toThrow(TypeError);
    await expect(uploadFile(client(), bytes(3), { size: 4 })).rejects.toThrow(RangeError);
    expect(fake.log).toEqual([]);
  });
});

describe("checksum", () => {
  for (const [name, make] of [
    ["bytes", (d: Uint8Array) => d],
    ["Blob", (d: Uint8Array) => new Blob([d as Uint8Array<ArrayBuffer>])],
    ["stream", (d: Uint8Array) => streamOf(d, 3)],
  ] as const) {
    it(`declares the SHA-256 of a ${name} source at complete, and the server accepts it`, async () => {
      useFake();
      const data = bytes(3_000_001 % 4099);
      const upload = await uploadFile(client(), make(data) as Uint8Array, { partSize: 512, checksum: true, size: data.byteLength });
      expect((completes()[0]!.body as { sha256: string }).sha256).toBe(sha256(data));
      expect(upload.sha256).toBe(sha256(data));
    });
  }

  it("a checksum_mismatch at complete is an ApiError and the upload stays pending", async () => {
    useFake();
    fake.setFault(({ request }) => {
      void request;
      return undefined;
    });
    server.use(
      http.post(`${base}/v1/uploads/:id/complete`, () =>
        HttpResponse.json(problem(422, "checksum_mismatch"), { status: 422, headers: { "content-type": "application/problem+json" } }),
      ),
    );
    const error = await uploadFile(client(), bytes(30), { partSize: 10, checksum: true }).catch((e: unknown) => e);
    expect(isApiError(error, "checksum_mismatch")).toBe(true);
    expect([...fake.uploads.values()][0]!.upload.status).toBe("pending");
  });
});

describe("stream sources", () => {
  it("holds at most `concurrency` parts: bytes pulled from the stream but not yet stored stay bounded", async () => {
    useFake();
    const partSize = 100;
    const total = 60 * partSize;
    let pulled = 0;
    let peakHeld = 0;
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (pulled >= total) return controller.close();
          const chunk = bytes(Math.min(10, total - pulled));
          pulled += chunk.byteLength;
          controller.enqueue(chunk);
        },
      },
      { highWaterMark: 0 },
    );
    fake.setFault(async () => {
      const stored = fake.puts().filter((p) => p.bytes! > 0).length * partSize;
      peakHeld = Math.max(peakHeld, pulled - stored);
      await new Promise((r) => setTimeout(r, 1));
      return undefined;
    });
    await uploadFile(client(), stream, { size: total, partSize, concurrency: 3 });
    expect(fake.puts()).toHaveLength(60);
    // 3 parts being sent, plus at most one chunk read ahead.
    expect(peakHeld).toBeGreaterThan(partSize);
    expect(peakHeld).toBeLessThanOrEqual(3 * partSize + 10);
  });

  it("fails when the stream is shorter than its size", async () => {
    useFake();
    const error = await uploadFile(client(), streamOf(bytes(25)), { partSize: 10, size: 30 }).catch((e: unknown) => e);
    expect(isAsyncJobsError(error)).toBe(true);
    expect(String(error)).toMatch(/ended after 25 bytes/);
    expect(completes()).toEqual([]);
  });

  it("fails when the stream is longer than its size", async () => {
    useFake();
    const error = await uploadFile(client(), streamOf(bytes(31)), { partSize: 10, size: 30 }).catch((e: unknown) => e);
    expect(String(error)).toMatch(/more than the 30 bytes/);
    expect(completes()).toEqual([]);
  });
});

describe("per-part resilience", () => {
  it("retries a part after 502/503/504 and network errors, then completes (a 500 is final: spec §6.2)", async () => {
    useFake();
    const failures = [502, 503, 504, 0];
    fake.setFault(({ number, attempt }) => {
      if (number !== 2 || attempt > failures.length) return undefined;
      const status = failures[attempt - 1]!;
      return status === 0 ? HttpResponse.error() : HttpResponse.json(problem(status, "internal"), { status });
    });
    const upload = await uploadFile(client(), bytes(30), { partSize: 10 });
    expect(upload.status).toBe("completed");
    expect(fake.puts().filter((p) => p.path.endsWith("/2"))).toHaveLength(5);
  });

  it("waits out a part's Retry-After before sending it again", async () => {
    useFake();
    const sentAt: number[] = [];
    fake.setFault(({ attempt }) => {
      sentAt.push(Date.now());
      return attempt === 1
        ? HttpResponse.json(problem(503, "overloaded"), { status: 503, headers: { "retry-after": "2", "content-type": "application/problem+json" } })
        : undefined;
    });
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      const pending = uploadFile(client(), bytes(10), { partSize: 10 });
      await vi.advanceTimersByTimeAsync(1_900);
      expect(sentAt).toHaveLength(1); // still waiting: Retry-After is 2 s
      await vi.advanceTimersByTimeAsync(1_000);
      expect((await pending).status).toBe("completed");
      expect(sentAt).toHaveLength(2);
      expect(sentAt[1]! - sentAt[0]!).toBeGreaterThanOrEqual(2_000);
    } finally {
      vi.useRealTimers();
    }
  });

  it("gives up after `retries` and throws the last error (ApiError for a 5xx, NetworkError for no answer)", async () => {
    useFake();
    fake.setFault(() => HttpResponse.json(problem(503, "overloaded"), { status: 503 }));
    const error = await uploadFile(client(), bytes(10), { partSize: 10, retries: 2 }).catch((e: unknown) => e);
    expect(isApiError(error, "overloaded")).toBe(true);
    expect(fake.puts()).toHaveLength(3);

    useFake();
    fake.setFault(() => HttpResponse.error());
    const network = await uploadFile(client(), bytes(10), { partSize: 10, retries: 1 }).catch((e: unknown) => e);
    expect(isNetworkError(network)).toBe(true);
    expect(fake.puts()).toHaveLength(2);
  });

  for (const code of ["url_expired", "invalid_signature"] as const) {
    it(`renews a URL refused with 403 ${code} through part-urls and sends again`, async () => {
      useFake();
      fake.setFault(({ number, attempt }) =>
        number === 2 && attempt === 1 ? HttpResponse.json(problem(403, code), { status: 403 }) : undefined,
      );
      const upload = await uploadFile(client(), bytes(30), { partSize: 10 });
      expect(upload.status).toBe("completed");
      const renewals = fake.log.filter((e) => e.path.endsWith("/part-urls"));
      expect(renewals.map((e) => e.body)).toEqual([{ numbers: [2] }]);
    });
  }

  it("renews every URL after they all expire mid-upload", async () => {
    useFake();
    let expired = false;
    fake.setFault(({ number }) => {
      if (number === 3 && !expired) {
        expired = true;
        fake.expireUrls();
      }
      return undefined;
    });
    const upload = await uploadFile(client(), bytes(60), { partSize: 10, concurrency: 1 });
    expect(upload.status).toBe("completed");
    expect(fake.log.filter((e) => e.path.endsWith("/part-urls")).length).toBeGreaterThanOrEqual(1);
  });

  it("abandons and retries an attempt whose bytes stop moving (a hung connection), but never cuts off a transport that reports no progress", async () => {
    useFake();
    const fetchTransport = createFetchPartTransport((input, init) => globalThis.fetch(input, init));
    let attempts = 0;
    const hangsOnce: PartTransport = (request) => {
      attempts += 1;
      if (attempts > 1) return fetchTransport(request);
      request.onBytesSent?.(1); // some bytes went out, then nothing more
      return new Promise((_, reject) => request.signal.addEventListener("abort", () => reject(request.signal.reason)));
    };
    const upload = await uploadFile(client(), bytes(10), { partSize: 10, transport: hangsOnce, stallTimeoutMs: 30 });
    expect(upload.status).toBe("completed");
    expect(attempts).toBe(2);

    const silentButSlow: PartTransport = async (request) => {
      await new Promise((r) => setTimeout(r, 150));
      return fetchTransport(request);
    };
    await uploadFile(client(), bytes(10), { partSize: 10, transport: silentButSlow, stallTimeoutMs: 30, retries: 0 });
  });

  it("stops renewing a URL the server keeps refusing and throws the 403", async () => {
    useFake();
    fake.setFault(() => HttpResponse.json(problem(403, "url_expired"), { status: 403 }));
    const error = await uploadFile(client(), bytes(10), { partSize: 10 }).catch((e: unknown) => e);
    expect(isApiError(error, "url_expired")).toBe(true);
    expect(fake.log.filter((e) => e.path.endsWith("/part-urls"))).toHaveLength(3);
  });

  for (const [status, code] of [
    [400, "size_mismatch"],
    [404, "not_found"],
    [409, "upload_not_pending"],
    [403, "forbidden_by_proxy"],
  ] as const) {
    // "forbidden_by_proxy" stands for a code outside the contract (a proxy, a CDN): still an ApiError.
    it(`fails at once on a part ${status} ${code}, as an ApiError with that code, without completing`, async () => {
      useFake();
      fake.setFault(({ number }) =>
        number === 1 ? HttpResponse.json(problem(status, code), { status, headers: { "content-type": "application/problem+json" } }) : undefined,
      );
      const error = await uploadFile(client(), bytes(10), { partSize: 10 }).catch((e: unknown) => e);
      expect(isApiError(error) && error.code === code).toBe(true);
      expect(fake.puts()).toHaveLength(1);
      expect(completes()).toEqual([]);
    });
  }

  it("a non-problem error body still becomes an ApiError (code unexpected_response) with its status", async () => {
    useFake();
    fake.setFault(() => new HttpResponse("<html>denied</html>", { status: 401 }));
    const error = await uploadFile(client(), bytes(10), { partSize: 10 }).catch((e: unknown) => e);
    expect(isApiError(error, "unexpected_response")).toBe(true);
    expect((error as { status: number }).status).toBe(401);
  });

  it("a 200 without an ETag (CORS not exposing it) is an AsyncJobsError that says why", async () => {
    useFake();
    fake.setFault(() => new HttpResponse(null, { status: 200 }));
    const error = await uploadFile(client(), bytes(10), { partSize: 10 }).catch((e: unknown) => e);
    expect(isAsyncJobsError(error)).toBe(true);
    expect(String(error)).toMatch(/Access-Control-Expose-Headers: ETag/);
  });

  it("create, get, part-urls and complete errors are ApiErrors with their codes", async () => {
    useFake();
    server.use(http.post(`${base}/v1/uploads`, () => HttpResponse.json(problem(400, "invalid_request"), { status: 400 })));
    expect(isApiError(await uploadFile(client(), bytes(1)).catch((e: unknown) => e), "invalid_request")).toBe(true);

    expect(isApiError(await uploadFile(client(), bytes(1), { resume: "upl_nope" }).catch((e: unknown) => e), "not_found")).toBe(true);

    server.resetHandlers();
    useFake({ urlsPerAnswer: 0 });
    server.use(http.post(`${base}/v1/uploads/:id/part-urls`, () => HttpResponse.json(problem(409, "upload_not_pending"), { status: 409 })));
    expect(isApiError(await uploadFile(client(), bytes(1)).catch((e: unknown) => e), "upload_not_pending")).toBe(true);

    server.resetHandlers();
    useFake();
    server.use(http.post(`${base}/v1/uploads/:id/complete`, () => HttpResponse.json(problem(422, "upload_incomplete"), { status: 422 })));
    expect(isApiError(await uploadFile(client(), bytes(1)).catch((e: unknown) => e), "upload_incomplete")).toBe(true);
  });

  it("refuses a server plan whose parts do not add up to the file", async () => {
    useFake();
    server.use(
      http.post(`${base}/v1/uploads`, () =>
        HttpResponse.json(
          { id: "upl_x", status: "pending", filename: "f", content_type: "a/b", size: 10, sha256: null, part_size: 4, part_count: 2,
            expires_at: "2030-01-01T00:00:00Z", parts: [{ number: 1, size: 4, etag: null }, { number: 2, size: 4, etag: null }] },
          { status: 201 },
        ),
      ),
    );
    await expect(uploadFile(client(), bytes(10))).rejects.toThrow(/add up to 8 bytes/);
    expect(fake.puts()).toEqual([]);
  });
});

describe("abort and resume", () => {
  it("abort stops in-flight PUTs at once, never completes, and leaves the upload resumable", async () => {
    useFake();
    const controller = new AbortController();
    const release: (() => void)[] = [];
    let id = "";
    fake.setFault(({ number }) => {
      if (number <= 2) return undefined;
      // Parts 3+ hang until released; the abort must not wait for them.
      if (number === 3) queueMicrotask(() => controller.abort(new Error("user canceled")));
      return new Promise<Response>((r) => release.push(() => r(new HttpResponse(null, { status: 500 }))));
    });
    const error = await uploadFile(client(), bytes(60), { partSize: 10, concurrency: 2, signal: controller.signal, onUploadCreated: (u) => (id = u.id) })
      .catch((e: unknown) => e);
    expect(String(error)).toMatch(/user canceled/);
    expect(release.length).toBeGreaterThan(0); // a PUT was still hanging when the upload rejected
    release.forEach((r) => r());
    await new Promise((r) => setTimeout(r, 10));
    expect(completes()).toEqual([]);
    const stored = fake.uploads.get(id)!.upload.parts.filter((p) => p.etag).map((p) => p.number);
    expect(stored).toEqual([1, 2]);

    // Resume: only the parts that were not stored go out.
    fake.setFault(undefined);
    const before = fake.puts().length;
    const upload = await uploadFile(client(), bytes(60), { partSize: 10, resume: id });
    expect(upload.status).toBe("completed");
    expect(fake.puts().slice(before).map((p) => p.path).sort()).toEqual([3, 4, 5, 6].map((n) => `/parts/${id}/${n}`));
    expect(Buffer.from(fake.fileBytes(id)).equals(Buffer.from(bytes(60)))).toBe(true);
    const body = completes()[0]!.body as { parts: { number: number }[] };
    expect(body.parts.map((p) => p.number)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("an already aborted signal rejects before any request", async () => {
    useFake();
    await expect(uploadFile(client(), bytes(3), { signal: AbortSignal.abort(new Error("no")) })).rejects.toThrow("no");
    expect(fake.log).toEqual([]);
  });

  it("resume reads a stream past stored parts without sending them, and the checksum still covers every byte", async () => {
    useFake();
    const data = bytes(45);
    fake.setFault(({ number }) => (number >= 3 ? HttpResponse.json(problem(400, "size_mismatch"), { status: 400 }) : undefined));
    let id = "";
    await uploadFile(client(), streamOf(data), { partSize: 10, size: 45, concurrency: 1, onUploadCreated: (u) => (id = u.id) }).catch(() => {});
    fake.setFault(undefined);
    const before = fake.puts().length;
    const upload = await uploadFile(client(), streamOf(data), { partSize: 10, size: 45, resume: id, checksum: true });
    expect(fake.puts().slice(before).map((p) => p.bytes)).toEqual([10, 10, 5]);
    expect(upload.sha256).toBe(sha256(data));
  });

  it("resume of a completed upload returns it without sending anything", async () => {
    useFake();
    const first = await uploadFile(client(), bytes(20), { partSize: 10 });
    const puts = fake.puts().length;
    const again = await uploadFile(client(), bytes(20), { partSize: 10, resume: first.id });
    expect(again.status).toBe("completed");
    expect(fake.puts()).toHaveLength(puts);
  });

  it("resume refuses a source of another size", async () => {
    useFake();
    const first = await uploadFile(client(), bytes(20), { partSize: 10 });
    await expect(uploadFile(client(), bytes(21), { resume: first.id })).rejects.toThrow(RangeError);
  });
});

describe("progress", () => {
  it("is monotonic, counts stored parts from the start, and ends exactly at totalBytes", async () => {
    useFake();
    // Part 2 fails once: its bytes must not be counted twice or taken back.
    fake.setFault(({ number, attempt }) => (number === 2 && attempt === 1 ? HttpResponse.json(problem(503, "overloaded"), { status: 503 }) : undefined));
    const events: UploadProgress[] = [];
    await uploadFile(client(), bytes(95), { partSize: 10, onProgress: (p) => events.push(p), progressIntervalMs: 0 });
    for (const [a, b] of events.slice(1).map((e, i) => [events[i]!, e] as const)) {
      expect(b.loadedBytes).toBeGreaterThanOrEqual(a.loadedBytes);
      expect(b.partsDone).toBeGreaterThanOrEqual(a.partsDone);
    }
    expect(events.at(-1)).toEqual({ loadedBytes: 95, totalBytes: 95, partsDone: 10, partCount: 10 });
    expect(events.every((e) => e.loadedBytes <= 95)).toBe(true);
  });

  it("is throttled: with a long interval only the first and the final event arrive", async () => {
    useFake();
    const events: UploadProgress[] = [];
    await uploadFile(client(), bytes(95), { partSize: 10, onProgress: (p) => events.push(p), progressIntervalMs: 3_600_000 });
    expect(events).toHaveLength(2);
    expect(events[1]).toEqual({ loadedBytes: 95, totalBytes: 95, partsDone: 10, partCount: 10 });
  });

  it("reports a 0-byte upload as done", async () => {
    useFake();
    const events: UploadProgress[] = [];
    await uploadFile(client(), bytes(0), { onProgress: (p) => events.push(p) });
    expect(events.at(-1)).toEqual({ loadedBytes: 0, totalBytes: 0, partsDone: 1, partCount: 1 });
  });

  it("on resume, starts from the bytes already stored", async () => {
    useFake();
    fake.setFault(({ number }) => (number === 3 ? HttpResponse.json(problem(400, "size_mismatch"), { status: 400 }) : undefined));
    let id = "";
    await uploadFile(client(), bytes(30), { partSize: 10, concurrency: 1, onUploadCreated: (u) => (id = u.id) }).catch(() => {});
    fake.setFault(undefined);
    const events: UploadProgress[] = [];
    await uploadFile(client(), bytes(30), { resume: id, onProgress: (p) => events.push(p), progressIntervalMs: 0 });
    expect(events[0]!.loadedBytes).toBeGreaterThanOrEqual(20);
    expect(events.at(-1)).toEqual({ loadedBytes: 30, totalBytes: 30, partsDone: 3, partCount: 3 });
  });
});

describe("client.uploads.upload", () => {
  it("is uploadFile on the client", async () => {
    useFake();
    const upload = await client().uploads.upload(bytes(25), { partSize: 10 });
    expect(upload.status).toBe("completed");
    expect(fake.puts()).toHaveLength(3);
  });
});
