import { afterEach, describe, expect, it, vi } from "vitest";
import { logToStderr } from "../src/log-to-stderr.ts";
import { StoreUnavailableError } from "../src/store/store-unavailable.ts";

describe("logToStderr: one line for a fault of the environment, the stack for a bug", () => {
  const lines: string[] = [];
  vi.spyOn(console, "error").mockImplementation((line: string) => void lines.push(line));
  afterEach(() => void lines.splice(0));

  it("a database error (SQLSTATE code) is one line with its code, not the driver's client object", () => {
    const pgError = Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01", client: { secretKey: 1 } });
    logToStderr("idle Postgres connection failed", pgError);
    expect(lines).toEqual(["idle Postgres connection failed: terminating connection due to administrator command (57P01)"]);
  });

  it("a store error names its cause", () => {
    const cause = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    logToStderr("outbox claim failed", new StoreUnavailableError("The database is unreachable; retry shortly.", { cause }));
    expect(lines[0]).toMatch(/^outbox claim failed: The database is unreachable; retry shortly\. ← connect ECONNREFUSED 127\.0\.0\.1:5432 \(ECONNREFUSED\)$/);
    expect(lines[0]).not.toContain("\n");
  });

  it("any other error keeps its stack, and a message alone is printed as is", () => {
    logToStderr("job job_1 threw", new TypeError("x is not a function"));
    logToStderr("draining");
    expect(lines[0]).toMatch(/^job job_1 threw: TypeError: x is not a function\n\s+at /);
    expect(lines[1]).toBe("draining");
  });
});
