import { expectInvalidRequest, expectProblem, expectProblemShape, expectStatus, mediaType } from "../assertions.ts";
import { type Check, expect, skip } from "../check.ts";
import type { HttpResponse } from "../http-recorder.ts";

const UNKNOWN_TYPE = "conformance.no-such-type";

/**
 * spec §1 conventions (problems, request ids, methods, media types) and §5 health.
 *
 * @example
 * await runConformance({ baseUrl, token, checks: errorChecks });
 */
export const errorChecks: Check[] = [
  {
    id: "errors.problem-json",
    clause: "§1 Errors",
    level: "MUST",
    title: "Errors are application/problem+json with type, title, status = HTTP status and a snake_case code",
    needs: [],
    async run(ctx) {
      const res = await ctx.http.request("GET", "/v1/jobs/job_conformance_does_not_exist");
      expectProblem(res, 404, "not_found", "GET a missing job");
      const unknown = await ctx.http.request("POST", "/v1/jobs", { json: { type: UNKNOWN_TYPE, input: {} } });
      expectProblem(unknown, 422, "unknown_job_type", "submit an unknown type");
    },
  },
  {
    id: "errors.malformed-json",
    clause: "§1 Errors",
    level: "MUST",
    title: "Malformed JSON is 400 malformed_json",
    needs: [],
    async run(ctx) {
      for (const raw of ['{"type": "conformance.echo", "input": {', "{'type': 1}", "nul"]) {
        const res = await ctx.http.request("POST", "/v1/jobs", { rawBody: raw, headers: { "content-type": "application/json" } });
        expectProblem(res, 400, "malformed_json", `POST /v1/jobs with ${JSON.stringify(raw)}`);
      }
    },
  },
  {
    id: "errors.unsupported-media-type",
    clause: "§1 Errors",
    level: "MUST",
    title: "A non-JSON content type is 415 unsupported_media_type",
    needs: [],
    async run(ctx) {
      const body = JSON.stringify({ type: UNKNOWN_TYPE, input: {} });
      for (const type of ["text/plain", "application/x-www-form-urlencoded"]) {
        const res = await ctx.http.request("POST", "/v1/jobs", { rawBody: body, headers: { "content-type": type } });
        expectProblem(res, 415, "unsupported_media_type", `POST /v1/jobs as ${type}`);
      }
    },
  },
  {
    id: "errors.json-media-types",
    clause: "§1 Errors",
    level: "MUST",
    title: "JSON endpoints accept application/json and application/*+json, with parameters",
    needs: [],
    async run(ctx) {
      const body = JSON.stringify({ type: UNKNOWN_TYPE, input: {} });
      for (const type of ["application/json; charset=utf-8", "application/vnd.conformance+json", "Application/JSON"]) {
        const res = await ctx.http.request("POST", "/v1/jobs", { rawBody: body, headers: { "content-type": type } });
        // The body names an unknown type: a server that read it answers 422 unknown_job_type.
        expectProblem(res, 422, "unknown_job_type", `POST /v1/jobs as ${type}`);
      }
    },
  },
  {
    id: "errors.payload-too-large",
    clause: "§1 Errors",
    level: "MUST",
    title: "A body over the server's limit is 413 payload_too_large",
    needs: [],
    async run(ctx) {
      const filler = "x".repeat(3 * 1024 * 1024);
      const res = await ctx.http.request("POST", "/v1/jobs", { json: { type: UNKNOWN_TYPE, input: { filler } }, timeoutMs: 15_000 });
      if (res.status === 422) skip("the server accepted a 3 MiB body; its limit is higher than the suite sends");
      expectProblem(res, 413, "payload_too_large", "POST /v1/jobs with a 3 MiB body");
    },
  },
  {
    id: "errors.json-depth",
    clause: "§1 Errors",
    level: "MUST",
    title: "A JSON body nested 1,000 deep is refused as 400 invalid_request (or 413), never stored, never 5xx",
    needs: [],
    async run(ctx) {
      // 1,000 nested arrays in input.value: a few KiB, far below any body limit.
      const deep = `${"[".repeat(1000)}${"]".repeat(1000)}`;
      const raw = `{"type":"conformance.echo","input":{"value":${deep}}}`;
      const res = await ctx.http.request("POST", "/v1/jobs", { rawBody: raw, headers: { "content-type": "application/json" } });
      if (res.status === 202 || res.status === 200) {
        const id = (res.body as { id?: string } | undefined)?.id;
        if (id) await ctx.http.request("POST", `/v1/jobs/${encodeURIComponent(id)}/cancel`);
      }
      if (res.status === 413) return void expectProblem(res, 413, "payload_too_large", "POST /v1/jobs nested 1,000 deep");
      expectProblem(res, 400, "invalid_request", "POST /v1/jobs nested 1,000 deep");
      const list = await ctx.http.request("GET", "/v1/jobs?limit=1");
      expectStatus(list, 200, "GET /v1/jobs after the deep body");
    },
  },
  {
    id: "errors.invalid-request",
    clause: "§1 Errors",
    level: "MUST",
    title: "A body breaking the schema is 400 invalid_request with errors[].path as JSON Pointers",
    needs: [],
    async run(ctx) {
      const wrongType = await ctx.http.request("POST", "/v1/jobs", { json: { type: 42, input: {} } });
      expectInvalidRequest(wrongType, "/type", "type is a number");
      const missing = await ctx.http.request("POST", "/v1/jobs", { json: { input: {} } });
      expectInvalidRequest(missing, ["/type", ""], "type is missing");
      const attempts = await ctx.http.request("POST", "/v1/jobs", { json: { type: UNKNOWN_TYPE, input: {}, max_attempts: "three" } });
      expectInvalidRequest(attempts, "/max_attempts", "max_attempts is a string");
      const metadata = await ctx.http.request("POST", "/v1/jobs", { json: { type: UNKNOWN_TYPE, input: {}, metadata: { n: 1 } } });
      expectInvalidRequest(metadata, ["/metadata/n", "/metadata"], "metadata value is a number");
      const notObject = await ctx.http.request("POST", "/v1/jobs", { json: [1, 2] });
      expectInvalidRequest(notObject, undefined, "body is an array");
    },
  },
  {
    id: "errors.method-not-allowed",
    clause: "§1 Conventions",
    level: "MUST",
    title: "A known path with a wrong method is 405 with Allow",
    needs: [],
    async run(ctx) {
      const cases: [string, string, string[]][] = [
        ["DELETE", "/v1/jobs", ["GET", "POST"]],
        ["PUT", "/v1/job-types", ["GET"]],
        ["POST", "/healthz", ["GET"]],
      ];
      for (const [method, path, methods] of cases) {
        const res = await ctx.http.request(method, path);
        expectStatus(res, 405, `${method} ${path}`);
        const allow = (res.headers.get("allow") ?? "").toUpperCase().split(/\s*,\s*/);
        expect(methods.every((m) => allow.includes(m)), `${method} ${path}: Allow must list ${methods.join(", ")}, got ${JSON.stringify(res.headers.get("allow"))}`, res.exchange);
      }
    },
  },
  {
    id: "errors.no-5xx-on-bad-input",
    clause: "§1 Errors",
    level: "MUST",
    title: "Hostile input never gets a 5xx",
    needs: [],
    async run(ctx) {
      const deep = `${"[".repeat(5_000)}${"]".repeat(5_000)}`;
      const responses: HttpResponse[] = [];
      const json = (raw: string) => ({ rawBody: raw, headers: { "content-type": "application/json" } });
      responses.push(await ctx.http.request("POST", "/v1/jobs", json(deep)));
      responses.push(await ctx.http.request("POST", "/v1/jobs", json(`{"type":"${UNKNOWN_TYPE}","input":${deep}}`)));
      responses.push(await ctx.http.request("POST", "/v1/jobs", json("null")));
      responses.push(await ctx.http.request("POST", "/v1/jobs", json('"just a string"')));
      responses.push(await ctx.http.request("POST", "/v1/jobs", json('{"type":"conformance.echo","input":null,"max_attempts":1e400}')));
      responses.push(await ctx.http.request("POST", "/v1/jobs", json('{"type":"conformance.echo","input":{"duration_ms":1e308,"progress_steps":-1}}')));
      responses.push(await ctx.http.request("POST", "/v1/jobs", json(`{"type":"${"t".repeat(10_000)}","input":{}}`)));
      responses.push(await ctx.http.request("POST", "/v1/jobs", json('{"type":"\\ud800","input":"\\u0000"}')));
      responses.push(await ctx.http.request("POST", "/v1/jobs", { rawBody: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), headers: { "content-type": "application/json" } }));
      responses.push(await ctx.http.request("POST", "/v1/jobs", { rawBody: "", headers: { "content-type": "application/json" } }));
      responses.push(await ctx.http.request("POST", "/v1/jobs", json('{"type":"conformance.echo","input":{},"webhook":{"url":"javascript:alert(1)"}}')));
      responses.push(await ctx.http.request("POST", "/v1/jobs", json('{"type":"conformance.echo","input":{},"__proto__":{"x":1}}')));
      for (const q of ["limit=-1", "limit=abc", "limit=1e9", "status=%00", "cursor=%FF%FE", `cursor=${"a".repeat(600)}`, "status=queued,,", "type="]) {
        responses.push(await ctx.http.request("GET", `/v1/jobs?${q}`));
      }
      for (const id of ["%00", "..%2F..%2Fetc%2Fpasswd", "x".repeat(300), "%F0%9F%92%A9", "'%20OR%201=1"]) {
        responses.push(await ctx.http.request("GET", `/v1/jobs/${id}`));
        responses.push(await ctx.http.request("POST", `/v1/jobs/${id}/cancel`));
        responses.push(await ctx.http.request("GET", `/v1/uploads/${id}`));
      }
      responses.push(await ctx.http.request("POST", "/v1/uploads", { json: { filename: "", content_type: "x", size: -1 } }));
      responses.push(await ctx.http.request("POST", "/v1/uploads", { json: { filename: "a", content_type: "x", size: 1e20, part_size: 0 } }));
      responses.push(await ctx.http.request("POST", "/v1/jobs", { json: { type: UNKNOWN_TYPE, input: {} }, headers: { "idempotency-key": "k".repeat(300) } }));
      responses.push(await ctx.http.request("GET", "/v1/jobs", { headers: { prefer: "wait=abc, wait=-5" } }));
      for (const res of responses) {
        expect(res.status < 500, `bad input answered with ${res.status}`, res.exchange);
        if (res.status >= 400) expectProblemShape(res, `${res.exchange.method} ${res.exchange.url}`);
      }
    },
  },
  {
    id: "errors.request-id-echoed",
    clause: "§1 Conventions",
    level: "MUST",
    title: "X-Request-Id is echoed when the client sends one, on successes and errors",
    needs: [],
    async run(ctx) {
      const cases: [string, string, string | null][] = [
        ["GET", "/healthz", null],
        ["GET", "/v1/jobs?limit=1", ctx.settings.token],
        ["GET", "/v1/jobs/job_conformance_missing", ctx.settings.token],
        ["GET", "/v1/jobs", null],
      ];
      for (const [method, path, token] of cases) {
        const id = ctx.unique("conf-req");
        const res = await ctx.http.request(method, path, { token, headers: { "x-request-id": id } });
        expect(res.headers.get("x-request-id") === id, `${method} ${path}: X-Request-Id must echo ${id}, got ${JSON.stringify(res.headers.get("x-request-id"))}`, res.exchange);
      }
    },
  },
  {
    id: "errors.request-id-present",
    clause: "§1 Conventions",
    level: "MUST",
    title: "Every response carries an X-Request-Id",
    needs: [],
    async run(ctx) {
      const responses = [
        await ctx.http.request("GET", "/healthz", { token: null }),
        await ctx.http.request("GET", "/v1/job-types"),
        await ctx.http.request("GET", "/v1/jobs", { token: null }),
        await ctx.http.request("GET", "/v1/jobs/job_conformance_missing"),
        await ctx.http.request("POST", "/v1/jobs", { rawBody: "{", headers: { "content-type": "application/json" } }),
        await ctx.http.request("DELETE", "/v1/jobs"),
      ];
      for (const res of responses) {
        const value = res.headers.get("x-request-id");
        expect(value !== null && value.trim().length > 0, `${res.exchange.method} ${res.exchange.url} (${res.status}) has no X-Request-Id`, res.exchange);
      }
    },
  },
  {
    id: "errors.unknown-preference-ignored",
    clause: "§1 Conventions (RFC 7240)",
    level: "MUST",
    title: "Preferences a server does not honour are ignored, never an error",
    needs: [],
    async run(ctx) {
      const res = await ctx.http.request("GET", "/v1/jobs?limit=1", { headers: { prefer: "x-conformance-unknown=1, respond-async" } });
      expectStatus(res, 200, "GET /v1/jobs with unknown preferences");
      const types = await ctx.http.request("GET", "/v1/job-types", { headers: { prefer: "return=minimal; x-conformance=\"a b\"" } });
      expectStatus(types, 200, "GET /v1/job-types with unknown preferences");
    },
  },
  {
    id: "health.ok",
    clause: "§5 Health",
    level: "MUST",
    title: "GET /healthz without auth is 200 { status: ok }",
    needs: [],
    async run(ctx) {
      const res = await ctx.http.request("GET", "/healthz", { token: null });
      expectStatus(res, 200, "GET /healthz");
      expect(mediaType(res) === "application/json", "GET /healthz must be JSON", res.exchange);
      expect((res.body as { status?: unknown } | undefined)?.status === "ok", "GET /healthz body must be { status: \"ok\" }", res.exchange);
    },
  },
  {
    id: "health.openapi",
    clause: "§5 Health",
    level: "MUST",
    title: "The server serves its contract at GET /openapi.yaml",
    needs: [],
    async run(ctx) {
      const res = await ctx.http.request("GET", "/openapi.yaml", { token: null });
      expectStatus(res, 200, "GET /openapi.yaml");
      // YAML, or JSON (which is YAML too).
      expect(/^\s*["']?openapi["']?\s*:\s*["']?3\./m.test(res.text) || /"openapi"\s*:\s*"3\./.test(res.text), "GET /openapi.yaml must return an OpenAPI 3 document", res.exchange);
    },
  },
];
