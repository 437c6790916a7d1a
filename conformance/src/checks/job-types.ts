import { expectStatus } from "../assertions.ts";
import { type Check, expect } from "../check.ts";

/**
 * spec §2 Job types.
 *
 * @example
 * await runConformance({ baseUrl, token, checks: jobTypeChecks });
 */
export const jobTypeChecks: Check[] = [
  {
    id: "job-types.list",
    clause: "§2 Job types",
    level: "MUST",
    title: "GET /v1/job-types is 200 { data: [{ type, description, input_schema, result_schema }] }",
    needs: [],
    async run(ctx) {
      const res = await ctx.http.request("GET", "/v1/job-types");
      expectStatus(res, 200, "GET /v1/job-types");
      const data = (res.body as { data?: unknown } | undefined)?.data;
      expect(Array.isArray(data) && data.length > 0, "job-types must be { data: [...] } with at least one type", res.exchange);
      const names = new Set<string>();
      for (const t of data as Record<string, unknown>[]) {
        expect(typeof t.type === "string" && t.type.length > 0, `a job type needs a name, got ${JSON.stringify(t.type)}`, res.exchange);
        expect(!names.has(t.type), `job type ${t.type} is listed twice`, res.exchange);
        names.add(t.type);
        expect(typeof t.description === "string", `${t.type}: description must be a string`, res.exchange);
        for (const k of ["input_schema", "result_schema"]) {
          const schema = t[k];
          expect(typeof schema === "object" && schema !== null && !Array.isArray(schema), `${t.type}: ${k} must be a JSON Schema object`, res.exchange);
          const dialect = (schema as { $schema?: unknown }).$schema;
          expect(dialect === undefined || (typeof dialect === "string" && dialect.includes("2020-12")), `${t.type}: ${k}.$schema must be JSON Schema 2020-12, got ${JSON.stringify(dialect)}`, res.exchange);
        }
      }
    },
  },
  {
    id: "job-types.echo",
    clause: "§2 Job types (conformance.echo)",
    level: "SHOULD",
    title: "The server has conformance.echo, so the whole suite can run",
    needs: [],
    async run(ctx) {
      const res = await ctx.http.request("GET", "/v1/job-types");
      expectStatus(res, 200, "GET /v1/job-types");
      const data = ((res.body as { data?: { type?: string; input_schema?: { properties?: Record<string, unknown> } }[] }).data ?? []);
      const echo = data.find((t) => t.type === "conformance.echo");
      expect(echo !== undefined, "conformance.echo is not listed", res.exchange);
      const props = Object.keys(echo.input_schema?.properties ?? {});
      for (const p of ["value", "duration_ms", "progress_steps", "fail", "fail_attempts", "abandon_attempts"]) {
        expect(props.includes(p), `conformance.echo's input_schema lacks ${p}`, res.exchange);
      }
    },
  },
];
