import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runConformance } from "../src/run-conformance.ts";
import { type ProxiedRequest, type ProxyHooks, readJson, startMutationProxy, writeJson } from "./support/mutation-proxy.ts";
import { type ReferenceServer, startReferenceServer } from "./support/reference-server.ts";

/**
 * The checks of issue 13 whose server side lands on another branch, each tried both ways
 * through a proxy in front of the reference server: one proxy makes the server right (the check
 * must pass), one makes it wrong (the check must fail). Once that branch is merged the fixing
 * proxies change nothing, and the breaking ones belong in support/mutants.ts.
 */
let server: ReferenceServer;
beforeAll(async () => {
  server = await startReferenceServer();
}, 40_000);
afterAll(async () => {
  await server?.stop();
});

const pathOf = (req: ProxiedRequest) => req.path.split("?")[0]!;
const isSubmit = (req: ProxiedRequest) => req.method === "POST" && pathOf(req) === "/v1/jobs";
const isJobGet = (req: ProxiedRequest) => req.method === "GET" && /^\/v1\/jobs\/[^/]+$/.test(pathOf(req));
const isPartPut = (req: ProxiedRequest) => req.method === "PUT" && /^\/v1\/uploads\/[^/]+\/parts\//.test(pathOf(req));
const isDeep = (req: ProxiedRequest) => req.body.includes("[".repeat(100));

async function outcome(check: string, hooks: ProxyHooks) {
  const proxy = await startMutationProxy(server.baseUrl, hooks);
  try {
    const report = await runConformance({ ...server.options, baseUrl: proxy.url, only: [check] });
    const [result] = report.results;
    return `${result!.outcome}${result!.outcome === "passed" ? "" : `: ${result!.message}`}`;
  } finally {
    await proxy.close();
  }
}

const cases: { check: string; right: ProxyHooks; wrong: ProxyHooks }[] = [
  {
    check: "errors.json-depth",
    // Right: the deep body is refused as the schema's 400 invalid_request (the proxy sends one the server refuses so).
    right: { request: (req) => void (isSubmit(req) && isDeep(req) && (req.body = Buffer.from('{"type":42,"input":{}}'))) },
    // Wrong: the deep body is stored (the proxy flattens it into an acceptable submit).
    wrong: { request: (req) => void (isSubmit(req) && isDeep(req) && (req.body = Buffer.from('{"type":"conformance.echo","input":{}}'))) },
  },
  {
    check: "status.vary-prefer",
    right: { response: (req, res) => void (isJobGet(req) && (res.headers.vary = "Prefer")) },
    wrong: { response: (req, res) => void (isJobGet(req) && delete res.headers.vary) },
  },
  {
    check: "uploads.part-any-content-type",
    right: { request: (req) => void (isPartPut(req) && (req.headers["content-type"] = "application/octet-stream")) },
    wrong: {
      request: (req) => void (isPartPut(req) && req.headers["content-type"] !== "application/octet-stream" && (req.path = "/v1/uploads/refuse-415")),
      response: (req, res) => {
        if (req.path !== "/v1/uploads/refuse-415") return;
        res.status = 415;
        res.headers["content-type"] = "application/problem+json";
        writeJson(res, { type: "about:blank", title: "Unsupported media type", status: 415, code: "unsupported_media_type" });
      },
    },
  },
];

describe.concurrent("issue 13 protocol checks, right and wrong server", () => {
  for (const { check, right, wrong } of cases) {
    it(`${check}: passes against a right server, fails against a wrong one`, async () => {
      expect(await outcome(check, right)).toBe("passed");
      expect(await outcome(check, wrong)).toMatch(/^failed: /);
    }, 60_000);
  }

  it("errors.json-depth: a 5xx answer fails it too", async () => {
    const crash: ProxyHooks = {
      response: (req, res) => {
        if (!isSubmit(req) || !isDeep(req)) return;
        res.status = 500;
        res.headers["content-type"] = "application/problem+json";
        writeJson(res, { ...readJson(res), status: 500, code: "internal" });
      },
    };
    expect(await outcome("errors.json-depth", crash)).toMatch(/^failed: .*expected 400.*got 500/);
  }, 60_000);
});

describe("the rate-limit checks catch a server that does not limit, or hides its fields", () => {
  let limited: ReferenceServer;
  beforeAll(async () => {
    limited = await startReferenceServer({ args: ["--submit-rate", "3/2s"] });
  }, 40_000);
  afterAll(async () => {
    await limited?.stop();
  });

  async function run(check: string, hooks: ProxyHooks) {
    const proxy = await startMutationProxy(limited.baseUrl, hooks);
    try {
      const report = await runConformance({ ...limited.options, baseUrl: proxy.url, rateLimit: { limit: 3, windowS: 2 }, only: [check] });
      return report.results[0]!;
    } finally {
      await proxy.close();
    }
  }

  it("limits.rate-limited fails when the 429 never comes", async () => {
    // The bug: the refusal is turned into a fake acceptance of the same shape as a real one.
    const accepted = new Map<string, Buffer>();
    const result = await run("limits.rate-limited", {
      response: (req, res) => {
        if (!isSubmit(req)) return;
        if (res.status === 202) accepted.set("last", res.body);
        else if (res.status === 429 && accepted.has("last")) {
          res.status = 202;
          res.headers["content-type"] = "application/json";
          res.body = accepted.get("last")!;
        }
      },
    });
    expect(result.outcome).toBe("failed");
    expect(result.message).toMatch(/none refused/);
  }, 60_000);

  it("limits.ratelimit-fields fails without the RateLimit fields, or with a reset other than Retry-After", async () => {
    const hidden = await run("limits.ratelimit-fields", { response: (_req, res) => void delete res.headers.ratelimit });
    expect(`${hidden.outcome}: ${hidden.message}`).toMatch(/^failed: RateLimit with the units left r is missing/);
    const skewed = await run("limits.ratelimit-fields", {
      response: (_req, res) => void (res.status === 429 && (res.headers.ratelimit = res.headers.ratelimit!.replace(/t=\d+/, "t=999"))),
    });
    expect(`${skewed.outcome}: ${skewed.message}`).toMatch(/^failed: RateLimit's reset t=999/);
  }, 60_000);
});
