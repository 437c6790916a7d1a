import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { S3ServiceException } from "@aws-sdk/client-s3";
import { afterAll, describe, expect, test } from "vitest";
import { PartRefusedError } from "../../src/blobs/blob-store.ts";
import { createS3BlobStore, createS3Client } from "../../src/blobs/s3-blob-store.ts";
import { parseS3Location } from "../../src/blobs/s3-location.ts";
import { createUploadsFeature } from "../../src/uploads/index.ts";

// What s3rver cannot show (ListParts, S3's own ETag and part checks at complete), covered on our
// side: the real S3 store and uploads service over an S3 client that answers what S3 answers
// (shapes as documented for ListParts, CompleteMultipartUpload and their errors).

// Presigning needs credentials; nothing is sent anywhere with them.
process.env.AWS_ACCESS_KEY_ID ??= "AKIDEXAMPLE";
process.env.AWS_SECRET_ACCESS_KEY ??= "secret";
const dir = mkdtempSync(join(tmpdir(), "s3-recorded-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const s3Error = (name: string, status: number) =>
  new S3ServiceException({ name, $fault: "client", $metadata: { httpStatusCode: status }, message: name });
const body = (bytes: Buffer) => Object.assign(Readable.from([bytes]), { transformToString: async () => bytes.toString() });
const md5 = (text: string) => `"${createHash("md5").update(text).digest("hex")}"`;

/** A fake S3 that records every command and answers from `parts` (our S3 bucket's state). */
function fakeS3(
  answers: { listParts?: (input: any) => unknown; complete?: (input: any) => unknown; object?: Buffer; getObject?: (input: any) => unknown; headObject?: (input: any) => unknown } = {},
) {
  const sent: { command: string; input: any }[] = [];
  let multipart = 0;
  // A real client (the presigner needs its config), whose send answers as S3 would.
  const client = Object.assign(createS3Client(parseS3Location("s3://bucket?region=us-east-1&endpoint=http://127.0.0.1:9&forcePathStyle=true")), {
    async send(command: { constructor: { name: string }; input: any }) {
      const name = command.constructor.name.replace(/Command$/, "");
      sent.push({ command: name, input: command.input });
      switch (name) {
        case "CreateMultipartUpload":
          return { UploadId: `mp-${(multipart += 1)}` };
        case "PutObject":
        case "DeleteObject":
        case "AbortMultipartUpload":
          return {};
        case "ListParts":
          return answers.listParts?.(command.input) ?? { Parts: [] };
        case "CompleteMultipartUpload":
          return answers.complete?.(command.input) ?? {};
        case "GetObject":
          return answers.getObject?.(command.input) ?? { Body: body(answers.object ?? Buffer.alloc(0)) };
        case "HeadObject":
          return answers.headObject?.(command.input) ?? Promise.reject(s3Error("NotFound", 404));
        default:
          throw new Error(`unexpected ${name}`);
      }
    },
  }) as unknown as S3Client;
  return { client, sent, commands: () => sent.map((s) => s.command) };
}

async function serviceOver(fake: ReturnType<typeof fakeS3>) {
  const feature = createUploadsFeature({
    store: `sqlite:${join(dir, `jobs-${Math.random()}.db`)}`,
    blobs: createS3BlobStore("s3://bucket/pre?region=us-east-1", { client: fake.client }),
    minPartSize: 4,
  });
  await feature.migrate();
  const upload = await feature.service.create("acme", "http://127.0.0.1:1", { filename: "f", content_type: "text/plain", size: 10, part_size: 4 });
  return { uploads: feature.service, upload, close: () => feature.close() };
}

const partsAnswer = (...parts: [number, number, string][]) => ({
  Parts: parts.map(([PartNumber, Size, ETag]) => ({ PartNumber, Size, ETag })),
});

describe("S3 store and uploads service against recorded S3 answers", () => {
  test("ListParts pages are followed and shown as the stored parts (resume); no ListParts leaves etags null", async () => {
    const fake = fakeS3({
      listParts: (input) =>
        input.PartNumberMarker === undefined
          ? { ...partsAnswer([1, 4, md5("abcd")]), IsTruncated: true, NextPartNumberMarker: "1" }
          : partsAnswer([3, 2, md5("ij")]),
    });
    const { uploads, upload, close } = await serviceOver(fake);
    const resumed = await uploads.get("acme", upload.id);
    expect(resumed.parts.map((p) => p.etag)).toEqual([md5("abcd"), null, md5("ij")]);
    expect(fake.sent.filter((s) => s.command === "ListParts").map((s) => s.input.PartNumberMarker)).toEqual([undefined, "1"]);
    await close();

    const unsupported = fakeS3({ listParts: () => Promise.reject(s3Error("MethodNotAllowed", 405)) });
    const other = await serviceOver(unsupported);
    expect((await other.uploads.get("acme", other.upload.id)).parts.map((p) => p.etag)).toEqual([null, null, null]);
    await other.close();
  });

  test("complete keeps spec §4.5's order on what ListParts shows, before S3 is asked to complete", async () => {
    const fake = fakeS3({ listParts: () => partsAnswer([1, 4, md5("abcd")], [3, 2, md5("ij")]) });
    const { uploads, upload, close } = await serviceOver(fake);
    const all = [
      { number: 1, etag: md5("abcd") },
      { number: 2, etag: md5("efgh") },
      { number: 3, etag: md5("ij") },
    ];
    await expect(uploads.complete("acme", upload.id, { parts: [...all, { number: 4, etag: md5("x") }] })).rejects.toMatchObject({ code: "invalid_part" });
    await expect(uploads.complete("acme", upload.id, { parts: all })).rejects.toMatchObject({ code: "upload_incomplete" });
    await close();

    const stored = fakeS3({ listParts: () => partsAnswer([1, 4, md5("abcd")], [2, 4, md5("efgh")], [3, 2, md5("ij")]) });
    const second = await serviceOver(stored);
    await expect(
      second.uploads.complete("acme", second.upload.id, { parts: [all[0]!, { number: 2, etag: md5("other") }, all[2]!] }),
    ).rejects.toMatchObject({ code: "invalid_part" });
    expect(stored.commands()).not.toContain("CompleteMultipartUpload");
    // ETags compare without quotes; S3 is then asked with the stored (quoted) ones.
    const done = await second.uploads.complete("acme", second.upload.id, { parts: all.map((p) => ({ ...p, etag: p.etag.replaceAll('"', "") })) });
    expect(done.status).toBe("completed");
    const completeCall = stored.sent.find((s) => s.command === "CompleteMultipartUpload")!;
    expect(completeCall.input).toMatchObject({ Bucket: "bucket", Key: `pre/uploads/${second.upload.id}`, UploadId: "mp-1" });
    expect(completeCall.input.MultipartUpload.Parts).toEqual(all.map((p) => ({ PartNumber: p.number, ETag: p.etag })));
    // The completed upload now reads its parts from our store: no more ListParts needed.
    const listsBefore = stored.commands().filter((c) => c === "ListParts").length;
    expect((await second.uploads.get("acme", second.upload.id)).parts.map((p) => p.etag)).toEqual(all.map((p) => p.etag));
    expect(stored.commands().filter((c) => c === "ListParts").length).toBe(listsBefore);
    await second.close();
  });

  test("S3's own refusal at CompleteMultipartUpload (InvalidPart) is 422 invalid_part, the upload stays pending", async () => {
    const fake = fakeS3({ listParts: () => Promise.reject(s3Error("NotImplemented", 501)), complete: () => Promise.reject(s3Error("InvalidPart", 400)) });
    const { uploads, upload, close } = await serviceOver(fake);
    const parts = [1, 2, 3].map((number) => ({ number, etag: md5(String(number)) }));
    await expect(uploads.complete("acme", upload.id, { parts })).rejects.toMatchObject({ code: "invalid_part" });
    expect((await uploads.get("acme", upload.id)).status).toBe("pending");
    await close();
    const store = createS3BlobStore("s3://bucket?region=us-east-1", { client: fakeS3({ complete: () => Promise.reject(s3Error("InvalidPartOrder", 400)) }).client });
    await store.createUpload("upl_x");
    await expect(store.completeParts("upl_x", [{ number: 1, size: 1, etag: '"a"' }])).rejects.toBeInstanceOf(PartRefusedError);
  });

  test("a checksum mismatch on the completed object deletes it and begins a new multipart upload: 422, still pending", async () => {
    const bytes = Buffer.from("abcdefghij");
    const fake = fakeS3({ listParts: () => partsAnswer([1, 4, md5("abcd")], [2, 4, md5("efgh")], [3, 2, md5("ij")]), object: bytes });
    const { uploads, upload, close } = await serviceOver(fake);
    const parts = [md5("abcd"), md5("efgh"), md5("ij")].map((etag, i) => ({ number: i + 1, etag }));
    await expect(uploads.complete("acme", upload.id, { parts, sha256: "0".repeat(64) })).rejects.toMatchObject({ code: "checksum_mismatch" });
    const after = fake.commands().slice(fake.commands().indexOf("CompleteMultipartUpload"));
    expect(after).toEqual(["CompleteMultipartUpload", "GetObject", "DeleteObject", "CreateMultipartUpload", "PutObject"]);
    expect((await uploads.get("acme", upload.id)).status).toBe("pending");
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    expect((await uploads.complete("acme", upload.id, { parts, sha256 })).sha256).toBe(sha256);
    await close();
  });

  test("a complete that stopped after S3 joined the parts is finished by the next one (the parts recorded then, S3's NoSuchUpload)", async () => {
    const bytes = Buffer.from("abcdefghij");
    let sealed = false;
    let reads = 0;
    const fake = fakeS3({
      listParts: () => (sealed ? Promise.reject(s3Error("NoSuchUpload", 404)) : partsAnswer([1, 4, md5("abcd")], [2, 4, md5("efgh")], [3, 2, md5("ij")])),
      complete: () => {
        if (sealed) return Promise.reject(s3Error("NoSuchUpload", 404));
        sealed = true;
        return {};
      },
      headObject: (input) => (sealed && !String(input.Key).endsWith(".multipart-id") ? { ContentLength: 10 } : Promise.reject(s3Error("NotFound", 404))),
      // The first read of the joined object fails (a network error), as a crash would stop it.
      getObject: (input) => (String(input.Key).endsWith(".multipart-id") ? { Body: body(Buffer.from("mp-1")) } : (reads += 1) === 1 ? Promise.reject(new Error("socket hang up")) : { Body: body(bytes) }),
    });
    const { uploads, upload, close } = await serviceOver(fake);
    const parts = [md5("abcd"), md5("efgh"), md5("ij")].map((etag, i) => ({ number: i + 1, etag }));
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    await expect(uploads.complete("acme", upload.id, { parts, sha256 })).rejects.toThrow(/socket hang up/);
    expect((await uploads.get("acme", upload.id)).parts.map((p) => p.etag)).toEqual(parts.map((p) => p.etag));
    await expect(uploads.complete("acme", upload.id, { parts: [parts[0]!, { number: 2, etag: md5("other") }, parts[2]!], sha256 })).rejects.toMatchObject({ code: "invalid_part" });
    expect((await uploads.complete("acme", upload.id, { parts, sha256 })).status).toBe("completed");
    await close();
  });

  test("DELETE aborts the multipart upload (NoSuchUpload is fine) and removes the object and its marker", async () => {
    const fake = fakeS3();
    const { uploads, upload, close } = await serviceOver(fake);
    await uploads.abort("acme", upload.id);
    const key = `pre/uploads/${upload.id}`;
    expect(fake.sent.slice(-3)).toEqual([
      { command: "AbortMultipartUpload", input: { Bucket: "bucket", Key: key, UploadId: "mp-1" } },
      { command: "DeleteObject", input: { Bucket: "bucket", Key: key } },
      { command: "DeleteObject", input: { Bucket: "bucket", Key: `${key}.multipart-id` } },
    ]);
    await close();
  });

  test("presigned part URLs sign the exact size (S3 refuses another length) and carry the part's lifetime", async () => {
    const location = parseS3Location("s3://bucket/a/b/?endpoint=http%3A%2F%2F127.0.0.1%3A9&region=eu-west-1&forcePathStyle=true");
    expect(location).toEqual({ bucket: "bucket", prefix: "a/b/", endpoint: "http://127.0.0.1:9", region: "eu-west-1", forcePathStyle: true });
    const client = createS3Client(location);
    const fake = fakeS3();
    const store = createS3BlobStore(location, { client: Object.assign(client, { send: fake.client.send }) });
    await store.createUpload("upl_sig");
    const url = new URL(await store.direct!.presignPart("upl_sig", 7, 5242880, Date.UTC(2030, 0, 1), 3600));
    expect(url.origin + url.pathname).toBe("http://127.0.0.1:9/bucket/a/b/uploads/upl_sig");
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      partNumber: "7",
      uploadId: "mp-1",
      "X-Amz-Expires": "3600",
      "X-Amz-Date": "20300101T000000Z",
      "X-Amz-SignedHeaders": "content-length;host",
    });
    expect(() => parseS3Location("s3://key:secret@bucket")).toThrow(/credentials/);
    expect(() => parseS3Location("s3://bucket?endpont=x")).toThrow(/unknown parameter/);
  });
});

test("--blobs takes an s3:// location, refuses credentials in it and URL lifetimes SigV4 cannot sign", async () => {
  const { loadConfig } = await import("../../src/config.ts");
  const url = "s3://bucket/p?endpoint=http://127.0.0.1:9000&region=us-east-1&forcePathStyle=true";
  expect(loadConfig(["serve", "--blobs", url]).blobs).toBe(url);
  expect(loadConfig(["serve"], { ASYNC_JOBS_BLOBS: url }).blobs).toBe(url);
  expect(loadConfig(["serve"]).blobs).toBeUndefined();
  expect(() => loadConfig(["serve", "--blobs", "s3://id:secret@bucket"])).toThrow(/credentials/);
  expect(() => loadConfig(["serve", "--blobs", "/var/blobs"])).toThrow(/s3:\/\//);
  expect(() => loadConfig(["serve", "--blobs", url, "--part-url-ttl-s", "604801"])).toThrow(/7 days/);
});
