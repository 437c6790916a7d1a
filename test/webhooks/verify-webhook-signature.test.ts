import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  decodeWebhookSecret,
  isWebhookVerificationError,
  signWebhook,
  verifyWebhookSignature,
  type VerifyWebhookOptions,
  type WebhookRequest,
  type WebhookVerificationReason,
} from "async-jobs/webhooks";
import { cryptoModes, NOW, NOW_S, OTHER_SECRET, SECRET } from "./fixtures.ts";

const BODY = '{"type":"job.succeeded","note":"héllo ✓"}';

function mac(secret: string, id: string, ts: string, body: string | Uint8Array): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  return createHmac("sha256", key).update(`${id}.${ts}.`).update(body).digest("base64");
}

function signed(overrides: Record<string, string | string[] | undefined> = {}, body = BODY) {
  const headers: Record<string, string | string[] | undefined> = {
    "webhook-id": "evt_1",
    "webhook-timestamp": String(NOW_S),
    "webhook-signature": `v1,${mac(SECRET, "evt_1", String(NOW_S), body)}`,
    ...overrides,
  };
  return { body, headers };
}

async function reason(
  request: WebhookRequest,
  secret: string | string[] = SECRET,
  options: VerifyWebhookOptions = {},
): Promise<WebhookVerificationReason | "ok"> {
  try {
    await verifyWebhookSignature(request, secret, { now: NOW, ...options });
    return "ok";
  } catch (error) {
    if (isWebhookVerificationError(error)) return error.reason;
    throw error;
  }
}

describe.each(cryptoModes)("verifyWebhookSignature (crypto: %s)", (crypto) => {
  const opts = { crypto };

  it("returns the raw body, unparsed, for every body type", async () => {
    const bytes = new TextEncoder().encode(BODY);
    for (const body of [BODY, bytes, bytes.buffer, Buffer.from(BODY)]) {
      await expect(
        verifyWebhookSignature({ ...signed(), body }, SECRET, { now: NOW, crypto }),
      ).resolves.toBe(BODY);
    }
  });

  it("verifies over the exact bytes: a Uint8Array that is a view into a larger buffer", async () => {
    const big = new Uint8Array(100);
    const bytes = new TextEncoder().encode(BODY);
    big.set(bytes, 10);
    const view = big.subarray(10, 10 + bytes.length);
    expect(await reason({ ...signed(), body: view }, SECRET, opts)).toBe("ok");
  });

  describe("secrets", () => {
    it.each([
      ["empty", ""],
      ["prefix only", "whsec_"],
      ["invalid character", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa!w"],
      ["space inside", "whsec_MfKQ9r8GKYqrTwj UPD8ILPZIo2LaLaSw"],
      ["URL-safe alphabet", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa-_"],
      ["non-zero trailing bits", "whsec_AAB="],
      ["wrong padding", "whsec_AA="],
      ["length 1 mod 4", "whsec_AAAAA"],
      ["lowercase prefix only once", "whsec_whsec_AAAA"],
    ])("%s → invalid_secret", async (_, secret) => {
      expect(await reason(signed(), secret, opts)).toBe("invalid_secret");
    });

    it("refuses a non-string secret and an empty list", async () => {
      expect(await reason(signed(), [] as string[], opts)).toBe("invalid_secret");
      await expect(
        verifyWebhookSignature(signed(), undefined as unknown as string, opts),
      ).rejects.toMatchObject({ reason: "invalid_secret" });
      expect(await reason(signed(), [SECRET, 42 as unknown as string], opts)).toBe(
        "invalid_secret",
      );
    });

    it("checks the secret before the request, so misconfiguration is never masked", async () => {
      expect(await reason({ body: "", headers: {} }, "not base64!", opts)).toBe("invalid_secret");
    });

    it("accepts the secret with or without whsec_, padded or not", async () => {
      const bare = SECRET.slice("whsec_".length);
      expect(await reason(signed(), bare, opts)).toBe("ok");
      expect(await reason(signed(), bare.replace(/=+$/, ""), opts)).toBe("ok");
      expect(decodeWebhookSecret("whsec_AAE")).toEqual(new Uint8Array([0, 1]));
    });

    it("accepts a match with any of several secrets (rotation)", async () => {
      expect(await reason(signed(), [OTHER_SECRET, SECRET], opts)).toBe("ok");
      expect(await reason(signed(), [SECRET, OTHER_SECRET], opts)).toBe("ok");
      expect(await reason(signed(), [OTHER_SECRET], opts)).toBe("no_matching_signature");
    });
  });

  describe("headers", () => {
    it.each(["webhook-id", "webhook-timestamp", "webhook-signature"])(
      "missing or empty %s → missing_header",
      async (name) => {
        expect(await reason(signed({ [name]: undefined }), SECRET, opts)).toBe("missing_header");
        expect(await reason(signed({ [name]: "" }), SECRET, opts)).toBe("missing_header");
        expect(await reason(signed({ [name]: [] }), SECRET, opts)).toBe("missing_header");
      },
    );

    it.each(["1e9", " 1767323046", "1767323046 ", "-1", "+1767323046", "1767323046.0", "0x10", "١٢٣", "1".repeat(16)])(
      "timestamp %j is not all digits → missing_header",
      async (ts) => {
        expect(await reason(signed({ "webhook-timestamp": ts }), SECRET, opts)).toBe(
          "missing_header",
        );
      },
    );

    it("reads a Headers object and a plain object in any letter case", async () => {
      const { headers, body } = signed();
      const fetchHeaders = new Headers(headers as Record<string, string>);
      expect(await reason({ body, headers: fetchHeaders }, SECRET, opts)).toBe("ok");
      const upper = {
        "Webhook-Id": headers["webhook-id"],
        "WEBHOOK-TIMESTAMP": headers["webhook-timestamp"],
        "Webhook-Signature": headers["webhook-signature"],
      };
      expect(await reason({ body, headers: upper }, SECRET, opts)).toBe("ok");
    });

    it("takes signature values given as an array (a repeated header) as candidates", async () => {
      const good = signed().headers["webhook-signature"] as string;
      const bad = `v1,${mac(OTHER_SECRET, "evt_1", String(NOW_S), BODY)}`;
      expect(await reason(signed({ "webhook-signature": [bad, good] }), SECRET, opts)).toBe("ok");
      expect(await reason(signed({ "webhook-signature": [bad] }), SECRET, opts)).toBe(
        "no_matching_signature",
      );
    });

    it("handles a repeated signature header joined by Headers with ', '", async () => {
      const good = signed().headers["webhook-signature"] as string;
      const bad = `v1,${mac(OTHER_SECRET, "evt_1", String(NOW_S), BODY)}`;
      const headers = new Headers({ "webhook-id": "evt_1", "webhook-timestamp": String(NOW_S) });
      headers.append("webhook-signature", bad);
      headers.append("webhook-signature", good);
      expect(headers.get("webhook-signature")).toBe(`${bad}, ${good}`);
      expect(await reason({ body: BODY, headers }, SECRET, opts)).toBe("ok");
    });

    it("an id or timestamp given as an array of one value is that value", async () => {
      expect(
        await reason(signed({ "webhook-id": ["evt_1"], "webhook-timestamp": [String(NOW_S)] }), SECRET, opts),
      ).toBe("ok");
      // Two different ids cannot both be the signed one.
      expect(await reason(signed({ "webhook-id": ["evt_1", "evt_2"] }), SECRET, opts)).toBe(
        "no_matching_signature",
      );
    });
  });

  describe("time window (whole seconds, inclusive, both directions)", () => {
    const at = (seconds: number) => signed({
      "webhook-timestamp": String(seconds),
      "webhook-signature": `v1,${mac(SECRET, "evt_1", String(seconds), BODY)}`,
    });

    it.each([
      [0, "ok"],
      [-300, "ok"],
      [300, "ok"],
      [-301, "timestamp_too_old"],
      [301, "timestamp_too_new"],
      [-86_400, "timestamp_too_old"],
    ] as const)("offset %i s → %s", async (offset, expected) => {
      expect(await reason(at(NOW_S + offset), SECRET, opts)).toBe(expected);
    });

    it("ignores the sub-second part of the clock", async () => {
      const now = new Date((NOW_S + 300) * 1000 + 999);
      expect(await reason(at(NOW_S), SECRET, { crypto, now })).toBe("ok");
    });

    it("honours toleranceSeconds", async () => {
      expect(await reason(at(NOW_S - 61), SECRET, { crypto, toleranceSeconds: 60 })).toBe(
        "timestamp_too_old",
      );
      expect(await reason(at(NOW_S + 60), SECRET, { crypto, toleranceSeconds: 60 })).toBe("ok");
    });

    it("fails closed on an invalid clock or tolerance", async () => {
      expect(await reason(at(NOW_S), SECRET, { crypto, now: new Date(Number.NaN) })).toBe("timestamp_too_old");
      expect(await reason(at(NOW_S), SECRET, { crypto, toleranceSeconds: Number.NaN })).toBe("timestamp_too_old");
    });

    it("uses the real clock when no now is given", async () => {
      const real = Math.floor(Date.now() / 1000);
      await expect(verifyWebhookSignature(at(real), SECRET, { crypto })).resolves.toBe(BODY);
    });

    it("checks the window with the signed timestamp: a fresh timestamp on an old signature fails", async () => {
      const old = at(NOW_S - 3600);
      const replay = { ...old, headers: { ...old.headers, "webhook-timestamp": String(NOW_S) } };
      expect(await reason(replay, SECRET, opts)).toBe("no_matching_signature");
    });
  });

  describe("signatures", () => {
    const good = () => signed().headers["webhook-signature"] as string;

    it("skips v1a and unknown versions, uses any matching v1 among several", async () => {
      const b64 = good().slice(3);
      expect(await reason(signed({ "webhook-signature": `v1a,${b64}` }), SECRET, opts)).toBe("no_matching_signature");
      expect(await reason(signed({ "webhook-signature": `v2,${b64}` }), SECRET, opts)).toBe("no_matching_signature");
      expect(await reason(signed({ "webhook-signature": `V1,${b64}` }), SECRET, opts)).toBe("no_matching_signature");
      expect(await reason(signed({ "webhook-signature": `v1a,${b64} garbage v1,AAAA ${good()}` }), SECRET, opts)).toBe("ok");
    });

    it("compares decoded 32-byte MACs: truncated, extended or re-encoded MACs fail", async () => {
      const bytes = Buffer.from(good().slice(3), "base64");
      const variants = [
        bytes.subarray(0, 31).toString("base64"),
        Buffer.concat([bytes, Buffer.from([0])]).toString("base64"),
        bytes.toString("base64url"),
        bytes.toString("hex"),
        ` ${bytes.toString("base64")}`.replace(" ", "\t"),
      ];
      for (const v of variants) {
        expect(await reason(signed({ "webhook-signature": `v1,${v}` }), SECRET, opts), v).toBe(
          "no_matching_signature",
        );
      }
      // Without its padding the same MAC is still the same 32 bytes.
      expect(
        await reason(signed({ "webhook-signature": good().replace(/=$/, "") }), SECRET, opts),
      ).toBe("ok");
    });

    it("refuses a non-canonical spelling of the right MAC (non-zero trailing bits)", async () => {
      const sig = good();
      // 32 bytes → 43 characters + "=": the last character carries 2 unused bits.
      const last = sig.at(-2)!;
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      const twin = alphabet[alphabet.indexOf(last) ^ 1]!;
      const tampered = `${sig.slice(0, -2)}${twin}=`;
      expect(Buffer.from(tampered.slice(3), "base64")).toEqual(Buffer.from(sig.slice(3), "base64"));
      expect(await reason(signed({ "webhook-signature": tampered }), SECRET, opts)).toBe(
        "no_matching_signature",
      );
    });

    it("rejects a body that differs by one byte and an id that differs", async () => {
      const { headers } = signed();
      expect(await reason({ body: `${BODY} `, headers }, SECRET, opts)).toBe("no_matching_signature");
      expect(await reason({ body: BODY, headers: { ...headers, "webhook-id": "evt_2" } }, SECRET, opts)).toBe(
        "no_matching_signature",
      );
    });

    it("an empty body verifies when it was signed (payload checks come later)", async () => {
      expect(await reason(signed({}, ""), SECRET, opts)).toBe("ok");
      expect(await reason({ ...signed({}, ""), body: new Uint8Array(0) }, SECRET, opts)).toBe("ok");
    });
  });

  it("round-trips with signWebhook, several secrets → one header", async () => {
    const headers = await signWebhook({ id: "evt_9", timestamp: NOW, body: BODY }, [SECRET, OTHER_SECRET], opts);
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(await reason({ body: BODY, headers }, OTHER_SECRET, opts)).toBe("ok");
    expect(await reason({ body: BODY, headers }, SECRET, opts)).toBe("ok");
  });
});
