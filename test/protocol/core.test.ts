import { describe, expect, it } from "vitest";
import {
  canTransition,
  canonicalJson,
  createProblem,
  isJobStatus,
  isProblemCode,
  isTerminal,
  jobStatuses,
  jobTransitions,
  problemRegistry,
  problemType,
  requestFingerprint,
} from "async-jobs/protocol";

describe("problem registry (spec §7)", () => {
  it("gives every code an error status and a title", () => {
    for (const [code, { status, title }] of Object.entries(problemRegistry)) {
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(title, code).not.toBe("");
      expect(isProblemCode(code)).toBe(true);
    }
    expect(isProblemCode("toString")).toBe(false);
  });

  it.each(Object.keys(problemRegistry))("%s: type and code are one-to-one", (code) => {
    const problem = createProblem(code, "detail");
    expect(problem).toMatchObject({ type: problemType(code), code, status: problemRegistry[code as keyof typeof problemRegistry].status });
  });

  it("a job type's own code gets its own type, 500 Job failed by default", () => {
    expect(createProblem("report_too_large", "Too big.")).toEqual({
      type: "https://async-jobs.dev/problems/report_too_large",
      title: "Job failed",
      status: 500,
      detail: "Too big.",
      code: "report_too_large",
    });
  });

  it("takes a status, title and field errors for one occurrence", () => {
    const problem = createProblem("invalid_request", "No such range.", { status: 416, title: "Range not satisfiable", errors: [{ path: "Range", message: "x" }] });
    expect(problem).toMatchObject({ status: 416, title: "Range not satisfiable", errors: [{ path: "Range", message: "x" }] });
  });
});

describe("job state machine (spec §2)", () => {
  it.each([
    ["queued", false],
    ["running", false],
    ["succeeded", true],
    ["failed", true],
    ["canceled", true],
  ] as const)("%s terminal: %s", (status, terminal) => {
    expect(isTerminal(status)).toBe(terminal);
    expect(jobTransitions[status].length === 0).toBe(terminal);
  });

  it.each([
    ["queued", "running", true],
    ["queued", "canceled", true],
    ["queued", "succeeded", false],
    ["queued", "failed", false],
    ["running", "queued", true],
    ["running", "succeeded", true],
    ["running", "failed", true],
    ["running", "canceled", true],
    ["succeeded", "queued", false],
    ["canceled", "running", false],
  ] as const)("%s → %s allowed: %s", (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
  });

  it("knows the five statuses", () => {
    expect(jobStatuses.every(isJobStatus)).toBe(true);
    expect(isJobStatus("done")).toBe(false);
  });
});

describe("canonical JSON and the request fingerprint (spec §2)", () => {
  it.each([
    [{ b: 1, a: [2, { d: 3, c: 4 }] }, '{"a":[2,{"c":4,"d":3}],"b":1}'],
    [{ a: undefined, b: null }, '{"b":null}'],
    [[1, "x", true, null], '[1,"x",true,null]'],
    ["é\n", '"é\\n"'],
    [{ "": 1, A: 2, a: 3 }, '{"":1,"A":2,"a":3}'],
  ] as const)("%j → %s", (value, text) => {
    expect(canonicalJson(value)).toBe(text);
  });

  it("ignores key order and spacing, not values", () => {
    const same = (a: string, b: string) => requestFingerprint(JSON.parse(a), (t) => t) === requestFingerprint(JSON.parse(b), (t) => t);
    expect(same('{"type":"t","input":{"x":1,"y":2}}', '{ "input": { "y": 2, "x": 1 }, "type": "t" }')).toBe(true);
    expect(same('{"input":{"x":1}}', '{"input":{"x":2}}')).toBe(false);
    expect(same('{"input":[1,2]}', '{"input":[2,1]}')).toBe(false);
  });
});
