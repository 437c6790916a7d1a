import { expect, test } from "vitest";
import { createGroupCommit } from "../../src/store/postgres/group-commit.ts";

test("calls made in one tick share a batch; calls made meanwhile share the next", async () => {
  const batches: number[][] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const commits = createGroupCommit<number, number>({
    maxInFlight: 1,
    async run(items) {
      batches.push(items);
      if (batches.length === 1) await gate;
      return items.map((n) => n * 10);
    },
  });
  const first = [1, 2, 3].map((n) => commits.submit(n));
  await new Promise((r) => setImmediate(r));
  const second = [4, 5].map((n) => commits.submit(n));
  release();
  expect(await Promise.all([...first, ...second])).toEqual([10, 20, 30, 40, 50]);
  expect(batches).toEqual([[1, 2, 3], [4, 5]]);
});

test("items with one conflict key never share a batch, and batches respect maxBatch", async () => {
  const batches: string[][] = [];
  const commits = createGroupCommit<string, string>({
    maxBatch: 2,
    conflictKey: (item) => item[0],
    async run(items) {
      batches.push(items);
      return items;
    },
  });
  await Promise.all(["a1", "a2", "b1", "c1"].map((item) => commits.submit(item)));
  for (const batch of batches) {
    expect(batch.length).toBeLessThanOrEqual(2);
    expect(new Set(batch.map((item) => item[0])).size).toBe(batch.length);
  }
  expect(batches.flat().sort()).toEqual(["a1", "a2", "b1", "c1"]);
});

test("a failed batch is retried item by item, so only the bad item fails", async () => {
  const commits = createGroupCommit<number, number>({
    async run(items) {
      if (items.includes(13)) throw new Error(`bad batch ${items.join(",")}`);
      return items;
    },
  });
  const outcomes = await Promise.allSettled([1, 13, 2].map((n) => commits.submit(n)));
  expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  expect((outcomes[1] as PromiseRejectedResult).reason.message).toBe("bad batch 13");
});
