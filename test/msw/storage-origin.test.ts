import { createClient } from "async-jobs";
import { createJobsMock } from "async-jobs/msw";
import { createFetchPartTransport, uploadFile } from "async-jobs/uploads";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, expect, it } from "vitest";

// The mock as a server whose bytes live in an object store: signed part and download URLs on
// another origin (spec §4.3), which answers those URLs only; the SDK follows them there.
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

it("part and download URLs on a storage origin: the SDK uploads there, the API origin gets JSON only", async () => {
  const mock = createJobsMock({ baseUrl: "http://api.test", storageUrl: "http://bucket.storage.test/prefix", minPartSize: 1024 });
  server.use(...mock.handlers);
  const client = createClient({ baseUrl: "http://api.test", token: "tenant-a" });
  const origins = new Set<string>();
  const send = createFetchPartTransport(fetch);
  const data = new Uint8Array(3 * 1024 + 5).map((_, i) => i % 251);
  const upload = await uploadFile(client, data, {
    partSize: 1024,
    checksum: true,
    transport: (request) => {
      origins.add(new URL(request.url).origin);
      return send(request);
    },
  });
  expect(upload.status).toBe("completed");
  expect([...origins]).toEqual(["http://bucket.storage.test"]);
  expect(mock.requests.filter((r) => r.method === "PUT").every((r) => r.path.startsWith("/v1/uploads/"))).toBe(true);

  const job = await client.jobs.submitAndWait({ type: "file.gzip", input: { upload_id: upload.id } });
  const url = (job.result as { download: { url: string } }).download.url;
  expect(url.startsWith("http://bucket.storage.test/prefix/v1/downloads/")).toBe(true);
  expect((await fetch(url, { headers: { range: "bytes=0-1" } })).status).toBe(206);

  // The storage origin is not the API: no bearer routes there.
  const api = await fetch("http://bucket.storage.test/prefix/v1/uploads", { method: "POST", headers: { authorization: "Bearer tenant-a" } });
  expect(api.status).toBe(404);
});
