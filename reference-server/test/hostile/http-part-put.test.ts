import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/test-server.ts";

// Issue 13, findings 13 and 14: a part PUT without `Content-Type: application/octet-stream` was
// refused 415 before its signature was checked (so `curl -T` and a browser's fetch of a File
// failed), and a part PUT refused before its body was read closed the connection while the
// client was still sending: the client saw EPIPE instead of the answer.

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer(["--no-worker", "--min-part-size", "1024"]);
});
afterAll(async () => {
  await t.close();
});

async function createUpload(size: number) {
  const res = await t.request("POST", "/v1/uploads", { body: { filename: "f.bin", content_type: "application/octet-stream", size, part_size: size } });
  expect(res.status).toBe(201);
  return res.body as { id: string; parts: { url: string }[] };
}

/**
 * A PUT through node:http, the body written in 64 KiB chunks a millisecond apart (as a client on
 * a real link would): did the whole body go out, and what came back?
 */
async function putSlowly(url: string, body: Buffer, contentType?: string, method = "PUT", headers: Record<string, string> = {}) {
  const req = httpRequest(url, { method, headers: { "content-length": body.length, ...(contentType ? { "content-type": contentType } : {}), ...headers } });
  const written = new Promise<string | undefined>((resolve) => {
    req.once("finish", () => resolve(undefined));
    req.once("error", (error) => resolve((error as NodeJS.ErrnoException).code ?? error.message));
  });
  const answered = new Promise<{ status: number; body: string }>((resolve) => {
    req.once("response", (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode!, body: text }));
      res.on("error", () => resolve({ status: res.statusCode!, body: text }));
    });
    req.once("error", () => setTimeout(() => resolve({ status: 0, body: "" }), 100));
  });
  for (let offset = 0; offset < body.length && !req.destroyed; offset += 65_536) {
    req.write(body.subarray(offset, offset + 65_536));
    await new Promise((r) => setTimeout(r, 1));
  }
  req.end();
  return { ...(await answered), writeError: await written };
}

describe("part PUT (spec §4)", () => {
  it.each(["text/plain", "application/json", "image/png", undefined])("accepts a validly signed part sent as %s", async (type) => {
    const upload = await createUpload(1024);
    const res = await putSlowly(upload.parts[0]!.url, Buffer.alloc(1024, 7), type);
    expect(res.status).toBe(200);
  });

  it("checks the signature before anything else: a bad one is 403 whatever the content type", async () => {
    const upload = await createUpload(1024);
    const res = await putSlowly(upload.parts[0]!.url.replace(/signature=[^&]+/, "signature=AAAA"), Buffer.alloc(1024), "text/plain");
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).code).toBe("invalid_signature");
  });

  it("a 5 MiB part refused before it is read (409 upload_not_pending) reaches the client as its answer", async () => {
    const upload = await createUpload(1024);
    const url = upload.parts[0]!.url;
    expect((await putSlowly(url, Buffer.alloc(1024, 1), "application/octet-stream")).status).toBe(200);
    const parts = (await t.request("GET", `/v1/uploads/${upload.id}`)).body.parts;
    const complete = await t.request("POST", `/v1/uploads/${upload.id}/complete`, { body: { parts: [{ number: 1, etag: parts[0].etag }] } });
    expect(complete.status).toBe(200);
    // The reset was a race (EPIPE in some runs): a few rounds make it show.
    for (let i = 0; i < 5; i++) {
      const refused = await putSlowly(url, Buffer.alloc(5 * 1024 * 1024, 2), "application/octet-stream");
      expect(refused.writeError).toBeUndefined();
      expect(refused.status).toBe(409);
      expect(JSON.parse(refused.body).code).toBe("upload_not_pending");
    }
  });

  it("fetch streaming a 5 MiB body to a refused part gets the answer, not a network error", async () => {
    const upload = await createUpload(1024);
    const chunks = Array.from({ length: 80 }, () => new Uint8Array(65_536));
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await new Promise((r) => setTimeout(r, 1));
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const url = upload.parts[0]!.url.replace(/signature=[^&]+/, "signature=AAAA");
    const res = await fetch(url, { method: "PUT", body, headers: { "content-length": String(5 * 1024 * 1024), "content-type": "application/octet-stream" }, duplex: "half" } as RequestInit);
    expect(res.status).toBe(403);
    expect((await res.json()).code).toBe("invalid_signature");
  });

  it("any request with a body refused before reading it (401 on a 1 MiB submit) reaches the client as its answer", async () => {
    for (let i = 0; i < 5; i++) {
      const refused = await putSlowly(`${t.url}/v1/jobs`, Buffer.alloc(1024 * 1024, 0x20), "application/json", "POST", { authorization: "Bearer nope" });
      expect(refused.writeError).toBeUndefined();
      expect(refused.status).toBe(401);
    }
  });

  it("a 5 MiB body with a bad signature gets its 403, not a reset", async () => {
    const upload = await createUpload(1024);
    const refused = await putSlowly(upload.parts[0]!.url.replace(/signature=[^&]+/, "signature=AAAA"), Buffer.alloc(5 * 1024 * 1024), "application/octet-stream");
    expect(refused.writeError).toBeUndefined();
    expect(refused.status).toBe(403);
  });
});
