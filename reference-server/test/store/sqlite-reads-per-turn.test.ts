import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openSqliteDatabase } from "../../src/store/sqlite/open-sqlite-database.ts";
import { readsPerTurn } from "../../src/store/sqlite/reads-per-turn.ts";

// Status reads of one event-loop turn share one read transaction (two fcntl calls for the lot),
// and none of them answers with data older than its request.

const dir = mkdtempSync(join(tmpdir(), "async-jobs-reads-per-turn-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function open(name: string) {
  const path = join(dir, name);
  const reader = openSqliteDatabase(path, { busyTimeoutMs: 0 });
  reader.exec("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER); INSERT INTO t VALUES ('a', 1), ('b', 1)");
  // Another connection, as the writer thread's or another process's.
  const writer = openSqliteDatabase(path, { busyTimeoutMs: 0 });
  const set = (id: string, n: number) => writer.prepare("UPDATE t SET n = ? WHERE id = ?").run(n, id);
  const select = reader.prepare("SELECT n FROM t WHERE id = ?").pluck();
  return { reader, set, select };
}

describe("readsPerTurn", () => {
  it("runs the reads of one turn in one transaction: a commit between two of them is not seen by the second", async () => {
    const { reader, set, select } = open("shared.db");
    const inTransaction: boolean[] = [];
    const read = readsPerTurn(reader, (id: string) => {
      inTransaction.push(reader.inTransaction);
      const n = select.get(id);
      if (id === "a") set("b", 2); // committed by the other connection after the snapshot began
      return n;
    });
    const answers = await Promise.all([read("a"), read("b")]);
    expect(answers).toEqual([1, 1]);
    expect(inTransaction).toEqual([true, true]);
    expect(reader.inTransaction).toBe(false);
    // The next turn's reads see the commit.
    expect(await read("b")).toBe(2);
  });

  it("answers with what was committed before the read was asked for", async () => {
    const { reader, set, select } = open("fresh.db");
    const read = readsPerTurn(reader, (id: string) => select.get(id));
    expect(await read("a")).toBe(1);
    set("a", 5);
    expect(await read("a")).toBe(5);
  });

  it("fails only the read that throws, and closes the transaction", async () => {
    const { reader, select } = open("failing.db");
    const read = readsPerTurn(reader, (id: string) => {
      if (id === "bad") throw new Error("no such job");
      return select.get(id);
    });
    const [good, bad] = await Promise.allSettled([read("a"), read("bad")]);
    expect(good).toEqual({ status: "fulfilled", value: 1 });
    expect(bad).toMatchObject({ status: "rejected", reason: { message: "no such job" } });
    expect(reader.inTransaction).toBe(false);
  });
});
