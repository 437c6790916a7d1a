import { describe, expect, it } from "vitest";
import { createApiClient } from "../../src/internal/api-client.ts";

// The typed calls' own runtime (openapi-fetch's types, not its runtime): what goes on the wire
// and how an answer is read, through an injected fetch that records the Request.
function recorder(response: () => Response) {
  const seen: Request[] = [];
  return { seen, fetch: async (request: Request) => (seen.push(request), response()) };
}

describe("createApiClient", () => {
  it("encodes path parameters, repeats array queries, skips undefined, merges headers (per call wins)", async () => {
    const api = createApiClient("http://jobs.test", { "x-team": "a", "x-both": "client" });
    const { seen, fetch } = recorder(() => Response.json({ data: [], next_cursor: null }));
    await api.GET("/v1/jobs/{id}", { params: { path: { id: "job 1/2" }, header: { "x-both": "call" } as never }, fetch } as never);
    await api.GET("/v1/jobs", { params: { query: { status: ["queued", "running"], limit: 5, cursor: undefined } as never }, fetch } as never);
    expect(seen[0]!.url).toBe("http://jobs.test/v1/jobs/job%201%2F2");
    expect(seen[0]!.headers.get("x-team")).toBe("a");
    expect(seen[0]!.headers.get("x-both")).toBe("call");
    expect(seen[0]!.headers.get("content-type")).toBeNull(); // no body, no content type
    expect(seen[1]!.url).toBe("http://jobs.test/v1/jobs?status=queued&status=running&limit=5");
  });

  it("sends a JSON body with its content type and reads JSON, text and empty answers as openapi-fetch does", async () => {
    const api = createApiClient("http://jobs.test", {});
    let next = () => Response.json({ id: "job_1" }, { status: 202 });
    const { seen, fetch } = recorder(() => next());
    const ok = await api.POST("/v1/jobs", { body: { type: "conformance.echo", input: {} }, fetch } as never);
    expect(seen[0]!.method).toBe("POST");
    expect(seen[0]!.headers.get("content-type")).toBe("application/json");
    expect(await seen[0]!.json()).toEqual({ type: "conformance.echo", input: {} });
    expect(ok).toMatchObject({ data: { id: "job_1" } });

    next = () => new Response("<html>Bad gateway</html>", { status: 502 });
    expect(await api.GET("/v1/job-types", { fetch } as never)).toMatchObject({ error: "<html>Bad gateway</html>" });
    next = () => new Response(null, { status: 204 });
    expect(await api.DELETE("/v1/uploads/{id}", { params: { path: { id: "upl_1" } }, fetch } as never)).toMatchObject({ data: undefined });
    next = () => new Response("data: x\n\n", { headers: { "content-type": "text/event-stream" } });
    const stream = await api.GET("/v1/jobs/{id}", { params: { path: { id: "job_1" } }, parseAs: "stream", fetch } as never);
    expect(stream.data).toBeInstanceOf(ReadableStream);
  });
});
