import { describe, expect, test } from "vitest";
import { createUrlSigner } from "../../src/uploads/signed-url.ts";

const key = new Uint8Array(32).fill(7);
const part = { uploadId: "upl_1", number: 2, size: 1024, expires: 2_000_000_000 };
const signatureOf = (query: string) => new URLSearchParams(query).get("signature") ?? "";

describe("createUrlSigner", () => {
  const signer = createUrlSigner(key);
  const now = 1_900_000_000_000;

  test("a part URL carries expires, size and a base64url signature that verifies", () => {
    const query = signer.signPart(part);
    const params = new URLSearchParams(query);
    expect(params.get("expires")).toBe("2000000000");
    expect(params.get("size")).toBe("1024");
    expect(params.get("signature")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(signer.verifyPart(part, signatureOf(query), now)).toBeNull();
  });

  test.each([
    ["upload id", { ...part, uploadId: "upl_2" }],
    ["part number", { ...part, number: 3 }],
    ["size", { ...part, size: 1025 }],
    ["expiry", { ...part, expires: part.expires + 1 }],
  ])("an altered %s is invalid_signature", (_, altered) => {
    expect(signer.verifyPart(altered, signatureOf(signer.signPart(part)), now)).toBe("invalid_signature");
  });

  test("a signature from another key, a truncated or a non-canonical one is invalid_signature", () => {
    const other = createUrlSigner(new Uint8Array(32).fill(8));
    const signature = signatureOf(signer.signPart(part));
    expect(signer.verifyPart(part, signatureOf(other.signPart(part)), now)).toBe("invalid_signature");
    expect(signer.verifyPart(part, signature.slice(0, -1), now)).toBe("invalid_signature");
    expect(signer.verifyPart(part, `${signature}=`, now)).toBe("invalid_signature");
    expect(signer.verifyPart(part, "", now)).toBe("invalid_signature");
  });

  test("a good signature past its expiry is url_expired; an altered expired one is invalid_signature", () => {
    const signature = signatureOf(signer.signPart(part));
    expect(signer.verifyPart(part, signature, part.expires * 1000)).toBe("url_expired");
    expect(signer.verifyPart({ ...part, size: 1 }, signature, part.expires * 1000)).toBe("invalid_signature");
  });

  test("download URLs sign the blob id and expiry, and never verify as part URLs", () => {
    const download = { blobId: "dl_1", expires: 2_000_000_000 };
    const query = signer.signDownload(download);
    expect(query).toMatch(/^expires=2000000000&signature=[A-Za-z0-9_-]{43}$/);
    expect(signer.verifyDownload(download, signatureOf(query), now)).toBeNull();
    expect(signer.verifyDownload({ ...download, blobId: "dl_2" }, signatureOf(query), now)).toBe("invalid_signature");
    expect(signer.verifyDownload(download, signatureOf(query), download.expires * 1000 + 1)).toBe("url_expired");
    expect(signer.verifyPart(part, signatureOf(query), now)).toBe("invalid_signature");
  });

  test("short keys are refused", () => {
    expect(() => createUrlSigner(new Uint8Array(8))).toThrow(/16 bytes/);
  });
});
