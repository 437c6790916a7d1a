import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { NewUpload, UploadStore } from "../../src/store/upload-store.ts";

let counter = 0;
const T0 = 1_800_000_000_000;
const newUpload = (overrides: Partial<NewUpload> = {}): NewUpload => ({
  id: `upl_suite_${process.pid}_${(counter += 1)}`,
  tenant: "acme",
  filename: "a.bin",
  contentType: "application/octet-stream",
  size: 6 * 1024 ** 4, // beyond 32 bits, as 5 TiB uploads are
  sha256: null,
  partSize: 700 * 1024 ** 2,
  partCount: 9000,
  origin: "http://127.0.0.1:1",
  createdAt: T0,
  expiresAt: T0 + 1000,
  ...overrides,
});
const part = (number: number, etag = `"${String(number).padStart(32, "0")}"`) => ({ number, size: 10, etag });

/**
 * The contract every {@link UploadStore} implementation keeps (one suite, sibling
 * implementations).
 *
 * @example
 * describeUploadStore("sqlite", async () => openSqliteUploadStore(path));
 */
export function describeUploadStore(name: string, create: () => Promise<UploadStore>): void {
  describe(`UploadStore: ${name}`, () => {
    let store: UploadStore;
    beforeAll(async () => {
      store = await create();
      await store.migrate();
      await store.migrate(); // idempotent
    });
    afterAll(async () => {
      await store.close();
    });

    test("creates and reads an upload with every field, big sizes intact", async () => {
      const upload = newUpload({ sha256: "ab".repeat(32) });
      await store.createUpload(upload);
      expect(await store.getUpload(upload.id)).toEqual({ ...upload, status: "pending", version: 0, completedAt: null });
      expect(await store.getUpload("upl_missing")).toBeNull();
    });

    test("records parts, replaces them, lists them by number and bumps the version", async () => {
      const upload = newUpload();
      await store.createUpload(upload);
      expect(await store.putPart(upload.id, part(2), T0)).toEqual({ replaced: null });
      expect(await store.putPart(upload.id, part(1), T0)).toEqual({ replaced: null });
      expect(await store.putPart(upload.id, part(2, '"ffffffffffffffffffffffffffffffff"'), T0)).toEqual({ replaced: part(2) });
      expect(await store.listParts(upload.id)).toEqual([part(1), part(2, '"ffffffffffffffffffffffffffffffff"')]);
      expect((await store.getUpload(upload.id))?.version).toBe(3);
    });

    test("refuses parts once expired, completed or aborted", async () => {
      const expiring = newUpload();
      await store.createUpload(expiring);
      expect(await store.putPart(expiring.id, part(1), expiring.expiresAt)).toBe("not_pending");
      const completed = newUpload();
      await store.createUpload(completed);
      expect(await store.completeUpload(completed.id, 0, null, T0)).toBe(true);
      expect(await store.putPart(completed.id, part(1), T0)).toBe("not_pending");
      const aborted = newUpload();
      await store.createUpload(aborted);
      expect(await store.abortUpload(aborted.id, T0)).toBe(true);
      expect(await store.putPart(aborted.id, part(1), T0)).toBe("not_pending");
      expect(await store.listParts(aborted.id)).toEqual([]);
    });

    test("completes only a pending, unexpired upload at the version that was verified", async () => {
      const upload = newUpload();
      await store.createUpload(upload);
      await store.putPart(upload.id, part(1), T0);
      expect(await store.completeUpload(upload.id, 0, "cd".repeat(32), T0)).toBe(false); // stale version
      expect(await store.completeUpload(upload.id, 1, "cd".repeat(32), upload.expiresAt)).toBe(false); // expired
      expect(await store.completeUpload(upload.id, 1, "cd".repeat(32), T0 + 5)).toBe(true);
      expect(await store.getUpload(upload.id)).toMatchObject({ status: "completed", sha256: "cd".repeat(32), completedAt: T0 + 5 });
      expect(await store.completeUpload(upload.id, 1, null, T0)).toBe(false);
      expect(await store.abortUpload(upload.id, T0)).toBe(false);
    });

    test("expiry: lists expired pending uploads, marks them, drops their parts, then purges them", async () => {
      const base = T0 + 10_000_000;
      const early = newUpload({ createdAt: base, expiresAt: base + 10 });
      const late = newUpload({ createdAt: base, expiresAt: base + 20 });
      const fresh = newUpload({ createdAt: base, expiresAt: base + 10_000 });
      for (const u of [late, early, fresh]) await store.createUpload(u);
      await store.putPart(early.id, part(1), base);
      const listed = await store.listExpired(base + 30, 1000);
      expect(listed.indexOf(early.id)).toBeGreaterThanOrEqual(0);
      expect(listed.indexOf(early.id)).toBeLessThan(listed.indexOf(late.id));
      expect(listed).not.toContain(fresh.id);
      expect(await store.markExpired(early.id, base + 30)).toBe(true);
      expect(await store.markExpired(early.id, base + 30)).toBe(false);
      expect(await store.markExpired(fresh.id, base + 30)).toBe(false);
      expect((await store.getUpload(early.id))?.status).toBe("expired");
      expect(await store.listParts(early.id)).toEqual([]);
      expect(await store.listExpired(base + 30, 1000)).not.toContain(early.id);
      expect(await store.purgeEnded({ endedBefore: base + 11, completedBefore: 0 })).toContain(early.id);
      expect(await store.getUpload(early.id)).toBeNull();
      expect(await store.getUpload(late.id)).not.toBeNull(); // pending uploads are never purged
    });

    test("retention: completed uploads are purged once completed before the cutoff, not before", async () => {
      const done = newUpload();
      await store.createUpload(done);
      expect(await store.completeUpload(done.id, 0, null, T0 + 10)).toBe(true);
      expect(await store.purgeEnded({ endedBefore: 0, completedBefore: T0 + 10 })).not.toContain(done.id);
      expect((await store.getUpload(done.id))?.status).toBe("completed");
      expect(await store.purgeEnded({ endedBefore: 0, completedBefore: T0 + 11 })).toContain(done.id);
      expect(await store.getUpload(done.id)).toBeNull();
    });

    test("the signing key is created once and then shared", async () => {
      const first = await store.signingKey(() => new Uint8Array(32).fill(1));
      const second = await store.signingKey(() => new Uint8Array(32).fill(2));
      expect(first).toHaveLength(32);
      expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
    });

    test("lists one tenant's pending, unexpired uploads newest first, in pages before an id (spec §8.4)", async () => {
      const tenant = `lister-${process.pid}-${counter}`;
      const id = (n: number) => `upl_list${process.pid}_${String(n).padStart(3, "0")}`;
      for (const n of [1, 2, 3, 4, 5, 6]) await store.createUpload(newUpload({ id: id(n), tenant, expiresAt: T0 + (n === 3 ? 10 : 1000) }));
      await store.createUpload(newUpload({ id: id(7), tenant: `${tenant}-other` }));
      await store.putPart(id(4), part(1), T0);
      await store.completeUpload(id(4), 1, null, T0);
      await store.abortUpload(id(5), T0);
      const ids = async (query: { beforeId?: string; limit: number; now?: number }) =>
        (await store.listPending({ tenant, now: query.now ?? T0 + 20, beforeId: query.beforeId, limit: query.limit })).map((u) => u.id);
      // 3 expired at T0 + 10, 4 completed, 5 aborted, 7 another tenant's.
      expect(await ids({ limit: 10 })).toEqual([id(6), id(2), id(1)]);
      expect(await ids({ limit: 2 })).toEqual([id(6), id(2)]);
      expect(await ids({ limit: 2, beforeId: id(2) })).toEqual([id(1)]);
      expect(await ids({ limit: 10, now: T0 })).toEqual([id(6), id(3), id(2), id(1)]);
      const [first] = await store.listPending({ tenant, now: T0, limit: 1 });
      expect(first).toEqual({ ...newUpload({ id: id(6), tenant }), status: "pending", version: 0, completedAt: null });
    });

    test("concurrent part writes all land, each bumping the version once", async () => {
      const upload = newUpload();
      await store.createUpload(upload);
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.putPart(upload.id, part(i + 1), T0)));
      expect(await store.listParts(upload.id)).toHaveLength(20);
      expect((await store.getUpload(upload.id))?.version).toBe(20);
    });
  });
}
