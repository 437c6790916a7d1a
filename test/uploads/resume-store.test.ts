import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  bytesSource,
  blobSource,
  createLocalStorageResumeStore,
  createMemoryResumeStore,
  createSha256,
  fileFingerprint,
  resumeKey,
  sourceFingerprint,
  streamSource,
  type KeyValueStorage,
  type UploadHandleState,
  type UploadResumeStore,
} from "async-jobs/uploads";
import { createFileResumeStore, defaultResumeStorePath, fileSource } from "async-jobs/uploads/node";

// The resume stores (one table, every implementation) and the fingerprints they are keyed by.
const dir = mkdtempSync(join(tmpdir(), "resume-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A Web Storage stand-in (the real localStorage is covered by the browser test). */
function memoryStorage(): KeyValueStorage & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return { items, getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v), removeItem: (k) => void items.delete(k) };
}

const state = (uploadId: string, parts: UploadHandleState["parts"] = []): UploadHandleState => ({
  v: 1,
  baseUrl: "http://jobs.test",
  uploadId,
  fingerprint: "file:v1:x",
  size: 30,
  partSize: 10,
  parts,
});

let files = 0;
const stores: [string, () => UploadResumeStore][] = [
  ["memory", () => createMemoryResumeStore()],
  ["localStorage", () => createLocalStorageResumeStore(memoryStorage())],
  ["JSON file", () => createFileResumeStore({ path: join(dir, `store-${(files += 1)}`, "uploads.json") })],
];

describe.each(stores)("resume store: %s", (_name, create) => {
  it("has nothing for an unknown key", async () => {
    expect(await create().get("k")).toBeUndefined();
  });
  it("gives back what was set, a copy, and the newest set wins", async () => {
    const store = create();
    const first = state("upl_1");
    await store.set("k", first);
    first.uploadId = "changed after set";
    expect(await store.get("k")).toEqual(state("upl_1"));
    await store.set("k", state("upl_2", [{ number: 1, etag: '"e1"' }]));
    expect(await store.get("k")).toEqual(state("upl_2", [{ number: 1, etag: '"e1"' }]));
  });
  it("keeps keys apart and deletes one without the others", async () => {
    const store = create();
    await store.set("a", state("upl_a"));
    await store.set("b", state("upl_b"));
    await store.delete("a");
    expect(await store.get("a")).toBeUndefined();
    expect((await store.get("b"))?.uploadId).toBe("upl_b");
    await store.delete("never-set"); // not an error
  });
  it("lands writes made without waiting for each other", async () => {
    const store = create();
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.set(`k${i}`, state(`upl_${i}`))));
    for (let i = 0; i < 10; i++) expect((await store.get(`k${i}`))?.uploadId).toBe(`upl_${i}`);
  });
});

describe("stores that outlive their process", () => {
  it("localStorage: entries are JSON under a prefix; an unreadable one counts as none", async () => {
    const storage = memoryStorage();
    await createLocalStorageResumeStore(storage).set("k", state("upl_1"));
    expect(JSON.parse(storage.items.get("async-jobs:upload:k")!)).toEqual(state("upl_1"));
    expect(await createLocalStorageResumeStore(storage).get("k")).toEqual(state("upl_1"));
    storage.items.set("async-jobs:upload:bad", "{not json");
    expect(await createLocalStorageResumeStore(storage).get("bad")).toBeUndefined();
  });
  it("JSON file: another store on the same file reads it; a corrupt file is an empty store", async () => {
    const path = join(dir, "shared.json");
    await createFileResumeStore({ path }).set("k", state("upl_1"));
    expect(await createFileResumeStore({ path }).get("k")).toEqual(state("upl_1"));
    writeFileSync(path, "{oops");
    const store = createFileResumeStore({ path });
    expect(await store.get("k")).toBeUndefined();
    await store.set("j", state("upl_2"));
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ j: state("upl_2") });
  });
  it.each([
    ["linux", "/home/ana/.cache/async-jobs/uploads.json"],
    ["darwin", "/home/ana/Library/Caches/async-jobs/uploads.json"],
    ["win32", join("/home/ana", "AppData", "Local", "async-jobs", "uploads.json")],
  ] as const)("JSON file: the default path on %s is under the user's cache directory", (platform, path) => {
    expect(defaultResumeStorePath(platform, "/home/ana")).toBe(path);
  });
});

describe("fingerprints and keys", () => {
  const file = (lastModified: number, name = "talk.mp4", type = "video/mp4") => new File([new Uint8Array(5)], name, { type, lastModified });
  it("a File: name, size, last modification and type, each of which changes it", () => {
    expect(fileFingerprint(file(1000))).toBe('file:v1:["talk.mp4",5,1000,"video/mp4"]');
    const variants = [file(1000), file(1001), file(1000, "other.mp4"), file(1000, "talk.mp4", "video/webm")].map(fileFingerprint);
    expect(new Set(variants).size).toBe(4);
  });
  it("bytes: a sample of the content; with sample: true a File's metadata and its sample", async () => {
    const opts = { sample: false, createSha256 };
    const a = new Uint8Array(200_000).fill(1);
    const b = a.slice();
    b[199_999] = 2; // differs in the last 64 KiB
    const c = a.slice();
    c[100_000] = 2; // differs only in the middle: the sample does not see it
    const [fa, fb, fc] = await Promise.all([a, b, c].map((x) => sourceFingerprint(bytesSource(x), opts)));
    expect(fa).toMatch(/^sample:v1:200000:[0-9a-f]{64}$/);
    expect(fb).not.toBe(fa);
    expect(fc).toBe(fa);
    const sampled = await sourceFingerprint(blobSource(file(1000)), { sample: true, createSha256 });
    expect(sampled).toMatch(/^file:v1:\["talk\.mp4",5,1000,"video\/mp4"\]\|sample:v1:5:[0-9a-f]{64}$/);
  });
  it("a stream has none (it cannot be read twice)", async () => {
    expect(await sourceFingerprint(streamSource(new ReadableStream(), 10), { sample: false, createSha256 })).toBeUndefined();
  });
  it("a Node file: its absolute path, size and mtime", async () => {
    const path = join(dir, "f.bin");
    writeFileSync(path, "hello");
    const source = await fileSource(path);
    expect(source.fingerprint).toMatch(new RegExp(`^path:v1:\\[${JSON.stringify(path).replace(/[[\]\\/.]/g, "\\$&")},5,\\d+(\\.\\d+)?\\]$`));
  });
  it("keys carry the server: the same file on two servers is two entries", () => {
    expect(resumeKey("http://a.test/", "f")).toBe("http://a.test f");
    expect(resumeKey("http://a.test", "f")).not.toBe(resumeKey("http://b.test", "f"));
  });
});
