import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { problemRegistry, readSpec, repoRoot as root } from "./spec-document.ts";

// Each clause of docs/spec.md §1-5 checked against its machine form in openapi.yaml. Redocly
// checks that the document is well formed; this checks that it says what the spec says.
const spec = parse(readFileSync(`${root}openapi.yaml`, "utf8"));

type Op = { responses: Record<string, Resp>; parameters?: Ref[]; security?: unknown[] };
type Resp = { $ref?: string; headers?: Record<string, unknown>; content?: Record<string, unknown> };
type Ref = { $ref?: string; name?: string; in?: string };

const methods = ["get", "post", "put", "delete", "patch"] as const;
const operations: Array<[string, string, Op]> = Object.entries(
  spec.paths as Record<string, Record<string, Op>>,
).flatMap(([path, item]) =>
  methods.filter((m) => item[m]).map((m) => [path, m, item[m]] as [string, string, Op]),
);

function resolve<T>(node: T & { $ref?: string }): T {
  if (!node.$ref) return node;
  return node.$ref
    .slice(2)
    .split("/")
    .reduce((acc: any, key) => acc[key.replace(/~1/g, "/")], spec) as T;
}
function op(path: string, method: string): Op {
  return spec.paths[path][method];
}
function headersOf(path: string, method: string, status: string): string[] {
  return Object.keys(resolve(op(path, method).responses[status]!).headers ?? {});
}
function paramsOf(path: string, method: string): string[] {
  const level = [...(spec.paths[path].parameters ?? []), ...(op(path, method).parameters ?? [])];
  return level.map((p: Ref) => resolve(p).name!);
}
function problemCodes(): string[] {
  return spec.components.schemas.ProblemCode.enum;
}

describe("openapi.yaml encodes docs/spec.md", () => {
  // /readyz: the readiness check (spec §5.3), unversioned like /healthz.
  it("§1: every path starts with /v1 except /healthz, /readyz, /openapi.yaml", () => {
    for (const [path] of operations) {
      if (path === "/healthz" || path === "/readyz" || path === "/openapi.yaml") continue;
      expect(path.startsWith("/v1/")).toBe(true);
    }
  });

  it("§1: bearer auth on every operation but health, contract, and signed URLs", () => {
    expect(spec.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    const open = operations.filter(([, , o]) => o.security?.length === 0).map(([p, m]) => `${m} ${p}`);
    expect(open.sort()).toEqual(
      ["get /healthz", "get /readyz", "get /openapi.yaml", "get /v1/downloads/{id}", "put /v1/uploads/{id}/parts/{number}"].sort(),
    );
    for (const [path, method, o] of operations) {
      if (o.security?.length === 0) continue;
      expect(headersOf(path, method, "401"), `${method} ${path}`).toContain("WWW-Authenticate");
    }
  });

  it("§1: every response has X-Request-Id and every 4xx/5xx is problem+json with a code", () => {
    for (const [path, method, o] of operations) {
      for (const [status, r] of Object.entries(o.responses)) {
        const resp = resolve(r);
        expect(Object.keys(resp.headers ?? {}), `${method} ${path} ${status}`).toContain("X-Request-Id");
        if (/^[45]/.test(status)) {
          expect(Object.keys(resp.content ?? {}), `${method} ${path} ${status}`).toEqual(["application/problem+json"]);
        }
      }
    }
    expect(spec.components.schemas.Problem.required).toEqual(["type", "title", "status", "code"]);
    expect(spec.components.schemas.ProblemFieldError.required).toEqual(["path", "message"]);
  });

  it("§1: resources with an id answer 404 (never 403) and JSON bodies answer 400/413/415", () => {
    for (const [path, method, o] of operations) {
      if (path.includes("{id}") && o.security?.length !== 0) expect(o.responses["404"], `${method} ${path}`).toBeDefined();
      expect(o.responses["403"] === undefined || o.security?.length === 0, `${method} ${path} has 403`).toBe(true);
      const body = (o as { requestBody?: { content: Record<string, unknown> } }).requestBody;
      if (body?.content["application/json"]) {
        for (const s of ["400", "413", "415"]) expect(o.responses[s], `${method} ${path} ${s}`).toBeDefined();
      }
    }
  });

  it("§1: 429 and 503 carry Retry-After on every authenticated operation", () => {
    for (const [path, method, o] of operations) {
      if (o.security?.length === 0) continue;
      expect(headersOf(path, method, "429"), `${method} ${path}`).toContain("Retry-After");
      expect(headersOf(path, method, "503"), `${method} ${path}`).toContain("Retry-After");
    }
  });

  it("§2 submit: 202 + Location + Retry-After, Prefer: wait → 200, idempotency headers and codes", () => {
    expect(headersOf("/v1/jobs", "post", "202")).toEqual(
      expect.arrayContaining(["Location", "Retry-After", "Idempotent-Replayed", "Preference-Applied"]),
    );
    expect(headersOf("/v1/jobs", "post", "200")).toEqual(expect.arrayContaining(["Preference-Applied", "Idempotent-Replayed"]));
    expect(paramsOf("/v1/jobs", "post")).toEqual(expect.arrayContaining(["Idempotency-Key", "Prefer"]));
    expect(headersOf("/v1/jobs", "post", "409")).toContain("Retry-After");
    const key = resolve<{ schema: { pattern: string } }>(spec.components.parameters.IdempotencyKey);
    const pattern = new RegExp(key.schema.pattern);
    expect(pattern.test("a")).toBe(true);
    expect(pattern.test('"a"')).toBe(true);
    expect(pattern.test("x".repeat(255))).toBe(true);
    expect(pattern.test("x".repeat(256))).toBe(false);
    expect(pattern.test("")).toBe(false);
    expect(pattern.test("caf\u00e9")).toBe(false);
  });

  it("§2 status: ETag, Cache-Control, Retry-After; 304 with ETag and Retry-After; long poll", () => {
    expect(headersOf("/v1/jobs/{id}", "get", "200")).toEqual(
      expect.arrayContaining(["ETag", "Cache-Control", "Retry-After", "Preference-Applied"]),
    );
    expect(headersOf("/v1/jobs/{id}", "get", "304")).toEqual(expect.arrayContaining(["ETag", "Retry-After"]));
    expect(paramsOf("/v1/jobs/{id}", "get")).toEqual(expect.arrayContaining(["If-None-Match", "Prefer"]));
  });

  it("§2 cancel: 200, 202 with Retry-After, 409", () => {
    const o = op("/v1/jobs/{id}/cancel", "post");
    expect(Object.keys(o.responses)).toEqual(expect.arrayContaining(["200", "202", "409"]));
    expect(headersOf("/v1/jobs/{id}/cancel", "post", "202")).toContain("Retry-After");
  });

  it("§2 list: status/type/limit/cursor and the envelope", () => {
    expect(paramsOf("/v1/jobs", "get")).toEqual(expect.arrayContaining(["status", "type", "limit", "cursor"]));
    const limit = op("/v1/jobs", "get").parameters!.map((p) => resolve(p)).find((p) => p.name === "limit") as any;
    expect(limit.schema).toMatchObject({ minimum: 1, maximum: 100, default: 20 });
    expect(spec.components.schemas.JobList.required).toEqual(["data", "next_cursor"]);
  });

  it("§2 Job resource: every field, the state machine's statuses, typed built-in types", () => {
    const common = spec.components.schemas.JobCommon;
    expect(common.required.sort()).toEqual(
      ["id", "type", "status", "input", "metadata", "progress", "attempt", "max_attempts", "result", "error",
        "cancel_requested", "webhook", "created_at", "updated_at", "started_at", "completed_at", "expires_at"].sort(),
    );
    expect(spec.components.schemas.JobStatus.enum).toEqual(["queued", "running", "succeeded", "failed", "canceled"]);
    const types = spec.components.schemas.Job.oneOf.map((s: Ref) => resolve<any>(s).allOf[1].properties.type.const);
    expect(types.slice(0, 3)).toEqual(["conformance.echo", "file.checksum", "file.gzip"]);
    expect(spec.components.schemas.EchoInput.properties.duration_ms).toMatchObject({ minimum: 0, maximum: 600000 });
    expect(spec.components.schemas.EchoInput.properties.progress_steps).toMatchObject({ minimum: 0, maximum: 100 });
    expect(spec.components.schemas.EchoInput.properties.abandon_attempts).toMatchObject({ minimum: 0, maximum: 100 });
    expect(spec.components.schemas.GzipResult.required).toEqual(["size", "gzip_size", "download"]);
  });

  it("§3 webhooks: three terminal events and two lifecycle ones (§3.1.1), three webhook-* headers, 2xx success and 410", () => {
    expect(Object.keys(spec.webhooks).sort()).toEqual(["job.canceled", "job.failed", "job.progress", "job.started", "job.succeeded"]);
    for (const event of Object.values<any>(spec.webhooks)) {
      const names = event.post.parameters.map((p: Ref) => resolve(p).name);
      expect(names).toEqual(["webhook-id", "webhook-timestamp", "webhook-signature", "traceparent", "tracestate"]);
      // The trace headers are optional and unsigned (§8.6); the three webhook-* ones are required.
      expect(event.post.parameters.map((p: Ref & { required?: boolean }) => resolve(p).required)).toEqual([true, true, true, false, false]);
      expect(Object.keys(event.post.responses)).toEqual(["200", "410"]);
    }
    expect(spec.components.schemas.Delivery.properties.state.enum).toEqual(["pending", "delivered", "failed"]);
  });

  it("§4 uploads: every operation and the refusal codes in their order", () => {
    expect(Object.keys(op("/v1/uploads", "post").responses)).toContain("201");
    expect(headersOf("/v1/uploads", "post", "201")).toContain("Location");
    expect(Object.keys(op("/v1/uploads/{id}", "delete").responses)).toEqual(expect.arrayContaining(["204", "409"]));
    expect(headersOf("/v1/uploads/{id}/parts/{number}", "put", "200")).toContain("ETag");
    expect(Object.keys(op("/v1/uploads/{id}/parts/{number}", "put").responses)).toEqual(
      expect.arrayContaining(["400", "403", "409"]),
    );
    expect(spec.components.schemas.CreateUploadRequest.properties.size.maximum).toBe(5 * 1024 ** 4);
    expect(spec.components.schemas.Upload.properties.part_count.maximum).toBe(10000);
    expect(spec.components.schemas.PartUrlsRequest.properties.numbers).toMatchObject({ minItems: 1, maxItems: 100 });
    expect(Object.keys(op("/v1/downloads/{id}", "get").responses)).toEqual(expect.arrayContaining(["206", "416"]));
  });

  it("§5 health and the served contract", () => {
    expect(op("/healthz", "get").security).toEqual([]);
    expect(spec.components.schemas.Health.properties.status.const).toBe("ok");
    expect(op("/openapi.yaml", "get").security).toEqual([]);
  });

  it("every operation has an operationId and an example for each JSON body it sends or takes", () => {
    const all = [...operations, ...Object.entries<any>(spec.webhooks).map(([n, i]) => [n, "post", i.post] as const)];
    for (const [path, method, o] of all) {
      expect((o as { operationId?: string }).operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
      const bodies = [
        (o as any).requestBody?.content,
        ...Object.values<Resp>((o as Op).responses).map((r) => resolve(r).content),
      ].filter(Boolean);
      for (const content of bodies) {
        for (const [type, media] of Object.entries<any>(content)) {
          expect(media.examples ?? media.example, `${method} ${path} ${type}`).toBeDefined();
        }
      }
    }
  });

  it("§7: the problem code enum is exactly the spec's registry, and each has a heading in docs/protocol.md", () => {
    const registry = problemRegistry(readSpec());
    expect(registry.map((row) => row.code)).toEqual(problemCodes());
    const protocol = readFileSync(`${root}docs/protocol.md`, "utf8");
    for (const code of problemCodes()) {
      expect(protocol, `docs/protocol.md lacks a heading for ${code}`).toMatch(
        new RegExp(`^#{2,4} \`${code}\`\\s*$`, "m"),
      );
    }
  });
});
