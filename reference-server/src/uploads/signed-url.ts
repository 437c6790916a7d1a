import { createHmac, timingSafeEqual } from "node:crypto";

/** Why a signed URL was refused (spec §4: `403 url_expired` or `403 invalid_signature`). */
export type SignedUrlRefusal = "url_expired" | "invalid_signature";

/** What a part URL's signature covers: the upload, the part, its exact size and the expiry. */
export interface PartUrlClaims {
  uploadId: string;
  number: number;
  size: number;
  /** Unix seconds. */
  expires: number;
}

/** What a download URL's signature covers: the blob and the expiry. */
export interface DownloadUrlClaims {
  blobId: string;
  /** Unix seconds. */
  expires: number;
}

/** Signs and checks the reference server's part and download URLs. */
export interface UrlSigner {
  /** The query string (without `?`) of a part URL: `expires=…&size=…&signature=…`. */
  signPart(claims: PartUrlClaims): string;
  /** The query string (without `?`) of a download URL: `expires=…&signature=…`. */
  signDownload(claims: DownloadUrlClaims): string;
  /** `null` when the URL is good, else why it is refused. */
  verifyPart(claims: PartUrlClaims, signature: string, nowMs: number): SignedUrlRefusal | null;
  verifyDownload(claims: DownloadUrlClaims, signature: string, nowMs: number): SignedUrlRefusal | null;
}

// Distinct prefixes keep a part signature from ever verifying as a download one.
const partMessage = (c: PartUrlClaims) => `part\n${c.uploadId}\n${c.number}\n${c.size}\n${c.expires}`;
const downloadMessage = (c: DownloadUrlClaims) => `download\n${c.blobId}\n${c.expires}`;

/**
 * HMAC-SHA256 signer for part and download URLs, base64url signatures, constant-time checks.
 * The key must be the same in every API process (the upload store keeps one for that).
 *
 * @example
 * const signer = createUrlSigner(key);
 * const query = signer.signPart({ uploadId: "upl_1", number: 1, size: 5, expires: 1795432800 });
 * // "expires=1795432800&size=5&signature=…"
 */
export function createUrlSigner(key: Uint8Array): UrlSigner {
  if (key.byteLength < 16) throw new Error("URL signing key must have at least 16 bytes");
  const mac = (message: string) => createHmac("sha256", key).update(message).digest();
  const verify = (message: string, expires: number, signature: string, nowMs: number): SignedUrlRefusal | null => {
    // The signature is checked first: an altered expiry is an altered URL, not an expired one.
    const expected = mac(message);
    const given = Buffer.from(signature, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return "invalid_signature";
    // Canonical base64url only: "AAA=" and "AAA" decode alike, so compare the text form too.
    if (given.toString("base64url") !== signature) return "invalid_signature";
    return expires * 1000 <= nowMs ? "url_expired" : null;
  };
  return {
    signPart(c) {
      return `expires=${c.expires}&size=${c.size}&signature=${mac(partMessage(c)).toString("base64url")}`;
    },
    signDownload(c) {
      return `expires=${c.expires}&signature=${mac(downloadMessage(c)).toString("base64url")}`;
    },
    verifyPart(c, signature, nowMs) {
      return verify(partMessage(c), c.expires, signature, nowMs);
    },
    verifyDownload(c, signature, nowMs) {
      return verify(downloadMessage(c), c.expires, signature, nowMs);
    },
  };
}
