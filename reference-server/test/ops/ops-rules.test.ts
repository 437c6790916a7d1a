import { describe, expect, it } from "vitest";
import { parsePublicUrl, parseTrustProxy } from "../../src/http/public-url.ts";
import { isStoreUnavailable, StoreUnavailableError } from "../../src/store/store-unavailable.ts";
import { createInFlight } from "../../src/in-flight.ts";

const withCode = (code: string, message = "x") => Object.assign(new Error(message), { code });

describe("isStoreUnavailable", () => {
  it.each([
    ["57P01 admin shutdown", withCode("57P01"), true],
    ["57P03 cannot connect now", withCode("57P03"), true],
    ["08006 connection failure", withCode("08006"), true],
    ["53300 too many connections", withCode("53300"), true],
    ["ECONNREFUSED", withCode("ECONNREFUSED"), true],
    ["ENOSPC (blob store)", withCode("ENOSPC"), true],
    ["SQLITE_FULL", withCode("SQLITE_FULL"), true],
    ["SQLITE_IOERR_WRITE", withCode("SQLITE_IOERR_WRITE"), true],
    ["pg's terminated connection", new Error("Connection terminated unexpectedly"), true],
    ["pg's connect timeout", new Error("timeout exceeded when trying to connect"), true],
    ["both addresses refused", new AggregateError([withCode("ECONNREFUSED"), withCode("ECONNREFUSED")]), true],
    ["StoreUnavailableError", new StoreUnavailableError("down"), true],
    ["23505 unique violation", withCode("23505"), false],
    ["22P02 bad input", withCode("22P02"), false],
    ["57014 query canceled", withCode("57014"), false],
    ["SQLITE_CONSTRAINT", withCode("SQLITE_CONSTRAINT"), false],
    ["a plain bug", new TypeError("x is undefined"), false],
    ["not an error", "57P01", false],
  ])("%s → %s", (_name, error, expected) => {
    expect(isStoreUnavailable(error)).toBe(expected);
  });
});

describe("--public-url and --trust-proxy", () => {
  it("keeps an origin, refuses paths, queries and other schemes", () => {
    expect(parsePublicUrl("https://jobs.example.com/")).toBe("https://jobs.example.com");
    expect(parsePublicUrl("http://localhost:8443")).toBe("http://localhost:8443");
    for (const bad of ["jobs.example.com", "ftp://x", "https://x/api", "https://x?a=1", "https://u:p@x"]) {
      expect(() => parsePublicUrl(bad)).toThrow(/--public-url/);
    }
  });

  it("takes addresses and CIDR ranges only", () => {
    expect(parseTrustProxy(" 127.0.0.1, 10.0.0.0/8,::1 ")).toBe("127.0.0.1,10.0.0.0/8,::1");
    for (const bad of ["true", "localhost", "10.0.0.0/33", "1.2.3.4/8/1"]) expect(() => parseTrustProxy(bad)).toThrow(/--trust-proxy/);
  });
});

describe("createInFlight", () => {
  it("settles once every begun call ended, each end counted once", async () => {
    const calls = createInFlight();
    await calls.settled();
    const endA = calls.begin();
    const endB = calls.begin();
    let settled = false;
    void calls.settled().then(() => (settled = true));
    endA();
    endA();
    await Promise.resolve();
    expect(settled).toBe(false);
    endB();
    await Promise.resolve();
    expect(settled).toBe(true);
  });

  it("gives up after a timeout when a call never ends (a store that never answers)", async () => {
    const calls = createInFlight();
    calls.begin();
    expect(await calls.settled(20)).toBe(false);
    const end = calls.begin();
    setTimeout(end, 5);
    expect(await calls.settled(50)).toBe(false); // the first call is still in flight
  });
});
