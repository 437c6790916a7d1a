import { expect, test } from "vitest";
import { pendingMigrations } from "../../src/store/schema-migrations.ts";
import { postgresMigrations } from "../../src/store/postgres/schema.ts";
import { sqliteMigrations } from "../../src/store/sqlite/schema.ts";

const m = (version: number) => ({ version, name: `m${version}`, sql: "" });

test.each([
  ["a fresh database runs every migration", [m(1), m(2), m(3)], [], [1, 2, 3]],
  ["an up-to-date database runs none", [m(1), m(2)], [1, 2], []],
  ["a database of an earlier release runs the rest, in order", [m(1), m(2), m(3)], [1], [2, 3]],
])("%s", (_, migrations, applied, expected) => {
  expect(pendingMigrations(migrations, applied).map((x) => x.version)).toEqual(expected);
});

test("versions must be 1, 2, 3, … (two branches adding the same number fail loudly)", () => {
  expect(() => pendingMigrations([m(1), m(3)], [])).toThrow(/expected 2/);
  expect(() => pendingMigrations([m(1), m(1)], [])).toThrow(/expected 2/);
});

test("a database newer than this build is refused, not half-used", () => {
  expect(() => pendingMigrations([m(1)], [1, 2])).toThrow(/newer than this build/);
});

test("both dialects' lists are well formed", () => {
  expect(() => pendingMigrations(sqliteMigrations, [])).not.toThrow();
  expect(() => pendingMigrations(postgresMigrations, [])).not.toThrow();
});
