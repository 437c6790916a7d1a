import { describe, expect, it } from "vitest";
import { createClient, isAsyncJobsError } from "async-jobs";
import { createJobsMock } from "async-jobs/msw";
import { createMemoryResumeStore, parseUploadHandleState, resumeKey, type UploadFileOptions, type UploadHandle, uploadFile } from "async-jobs/uploads";
import { createHandlerFetch } from "../helpers/handler-fetch.ts";

// resume: "auto", upload handles and the pending-uploads listing against the msw mock (an
// in-memory implementation of the contract, spec §4 and §8.4), through an injected fetch.
const base = "http://resume.test";

function setup() {
  const mock = createJobsMock({ baseUrl: base, minPartSize: 1 });
  const api = createHandlerFetch();
  api.use(...mock.handlers);
  const client = createClient({ baseUrl: base, token: "t", fetch: api.fetch, retry: { initialDelayMs: 1, maxDelayMs: 2 } });
  const puts = () => mock.requests.filter((r) => r.method === "PUT").map((r) => Number(r.path.split("/").pop()));
  return { mock, client, puts, fetch: api.fetch };
}

const data = Uint8Array.from({ length: 100 }, (_, i) => i);
const file = (lastModified = 1_000) => new File([data], "data.bin", { type: "application/octet-stream", lastModified });

/** Uploads with `concurrency: 1` and aborts once `parts` parts are stored. */
async function abortAfter(client: ReturnType<typeof setup>["client"], parts: number, extra: UploadFileOptions = {}) {
  const controller = new AbortController();
  const failed = await uploadFile(client, file(), {
    partSize: 10,
    concurrency: 1,
    signal: controller.signal,
    progressIntervalMs: 0,
    onProgress: (p) => p.partsDone >= parts && controller.abort(new Error("stopped")),
    ...extra,
  }).catch((e: unknown) => e);
  expect(String(failed)).toMatch(/stopped/);
}

describe('resume: "auto"', () => {
  it("finds the upload of the same File in the store and sends only the missing parts; completion drops the entry", async () => {
    const { client, puts, mock } = setup();
    const store = createMemoryResumeStore();
    await abortAfter(client, 4, { resume: "auto", resumeStore: store });
    const [pending] = mock.uploads();
    const key = resumeKey(base, 'file:v1:["data.bin",100,1000,"application/octet-stream"]');
    expect((await store.get(key))?.uploadId).toBe(pending!.id);
    const stored = pending!.parts.filter((p) => p.etag).map((p) => p.number);
    expect(stored).toEqual([1, 2, 3, 4]);

    const before = puts().length;
    const upload = await uploadFile(client, file(), { resume: "auto", resumeStore: store, partSize: 10, checksum: true });
    expect(upload).toMatchObject({ id: pending!.id, status: "completed" });
    expect(puts().slice(before).sort((a, b) => a - b)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(mock.uploads()).toHaveLength(1);
    expect(await store.get(key)).toBeUndefined();
  });

  it("a changed file (other lastModified) is another source: a new upload", async () => {
    const { client, mock } = setup();
    const store = createMemoryResumeStore();
    await abortAfter(client, 2, { resume: "auto", resumeStore: store });
    await uploadFile(client, file(2_000), { resume: "auto", resumeStore: store, partSize: 10 });
    expect(mock.uploads().map((u) => u.status)).toEqual(["pending", "completed"]);
  });

  it("an entry whose upload was aborted is dropped and a new upload made (and recorded)", async () => {
    const { client, mock, fetch } = setup();
    const store = createMemoryResumeStore();
    await abortAfter(client, 2, { resume: "auto", resumeStore: store });
    const [first] = mock.uploads();
    const res = await fetch(`${base}/v1/uploads/${first!.id}`, { method: "DELETE", headers: { authorization: "Bearer t" } });
    expect(res.status).toBe(204);
    let created = "";
    const upload = await uploadFile(client, file(), { resume: "auto", resumeStore: store, partSize: 10, onUploadCreated: (u) => (created = u.id) });
    expect(upload.id).not.toBe(first!.id);
    expect(created).toBe(upload.id);
  });

  it("an entry whose upload completed returns it without sending anything", async () => {
    const { client, puts } = setup();
    const store = createMemoryResumeStore();
    const key = resumeKey(base, 'file:v1:["data.bin",100,1000,"application/octet-stream"]');
    const done = await uploadFile(client, file(), { partSize: 10 });
    await store.set(key, { v: 1, baseUrl: base, uploadId: done.id, fingerprint: null, size: 100, partSize: 10, parts: [] });
    const before = puts().length;
    expect(await uploadFile(client, file(), { resume: "auto", resumeStore: store })).toMatchObject({ id: done.id, status: "completed" });
    expect(puts().length).toBe(before);
    expect(await store.get(key)).toBeUndefined();
  });

  it("a stream needs an explicit fingerprint", async () => {
    const { client } = setup();
    const stream = new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(data), c.close()) });
    await expect(uploadFile(client, stream, { size: 100, resume: "auto", resumeStore: createMemoryResumeStore() })).rejects.toThrow(/fingerprint/);
  });
});

describe("upload handles", () => {
  it("serialize to JSON and resume in a fresh client, sending only the missing parts", async () => {
    const { client, puts, mock } = setup();
    let handle: UploadHandle | undefined;
    await abortAfter(client, 3, { onHandle: (h) => (handle = h) });
    const json = JSON.stringify(handle);
    const state = parseUploadHandleState(json);
    // Without "auto" too, a File's handle names it (its metadata costs no read).
    const fingerprint = 'file:v1:["data.bin",100,1000,"application/octet-stream"]';
    expect(state).toMatchObject({ v: 1, baseUrl: base, uploadId: mock.uploads()[0]!.id, size: 100, partSize: 10, fingerprint });
    expect(state.parts.map((p) => p.number)).toEqual([1, 2, 3]);
    expect(state.parts.every((p) => /^".+"$/.test(p.etag))).toBe(true);

    const before = puts().length;
    const upload = await client.uploads.resume(JSON.parse(json), file());
    expect(upload).toMatchObject({ id: state.uploadId, status: "completed" });
    expect(puts().slice(before).sort((a, b) => a - b)).toEqual([4, 5, 6, 7, 8, 9, 10]);
  });

  it("refuse another server's state and another source", async () => {
    const { client } = setup();
    let handle: UploadHandle | undefined;
    await abortAfter(client, 1, { resume: "auto", resumeStore: createMemoryResumeStore(), onHandle: (h) => (handle = h) });
    const state = handle!.toJSON();
    expect(state.fingerprint).toContain("data.bin");
    const elsewhere = await client.uploads.resume({ ...state, baseUrl: "http://other.test" }, file()).catch((e: unknown) => e);
    expect(isAsyncJobsError(elsewhere) && /other\.test/.test(elsewhere.message)).toBe(true);
    const changed = await client.uploads.resume(state, file(5_000)).catch((e: unknown) => e);
    expect(isAsyncJobsError(changed) && /fingerprint/.test(changed.message)).toBe(true);
    expect(() => parseUploadHandleState({ ...state, v: 2 })).toThrow(TypeError);
  });
});

describe("client.uploads.list (spec §8.4)", () => {
  it("iterates the caller's pending uploads newest first across pages", async () => {
    const { client, mock } = setup();
    await abortAfter(client, 1);
    await uploadFile(client, file(), { partSize: 10 });
    await abortAfter(client, 1);
    const pending = mock.uploads().filter((u) => u.status === "pending").map((u) => u.id);
    const listed = [];
    for await (const upload of client.uploads.list({ status: "pending", limit: 1 })) listed.push(upload);
    expect(listed.map((u) => u.id)).toEqual([...pending].reverse());
    expect(listed[0]).toMatchObject({ status: "pending", filename: "data.bin", size: 100, part_size: 10, part_count: 10, sha256: null });
    expect(Date.parse(listed[0]!.created_at)).not.toBeNaN();
  });
});
