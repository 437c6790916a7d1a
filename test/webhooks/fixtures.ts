// Shared test data for the webhook tests (not a test file itself).
import { readFileSync } from "node:fs";
import type { JobEvent } from "async-jobs/types";

const dir = new URL("../fixtures/webhooks/", import.meta.url);

export interface VerifyVector {
  name: string;
  secret?: string;
  payload?: string;
  now?: number;
  headers?: Record<string, string | null>;
  expect: string;
}

export const vectors = JSON.parse(
  readFileSync(new URL("standard-webhooks-vectors.json", dir), "utf8"),
) as {
  secret: string;
  id: string;
  timestamp: number;
  payload: string;
  signature: string;
  sign: { name: string; secret: string; id: string; timestamp: number; payload: string; expected: string }[];
  verify: VerifyVector[];
};

const { $comment: _, ...eventFile } = JSON.parse(
  readFileSync(new URL("events.json", dir), "utf8"),
) as Record<string, unknown>;
export const events = eventFile as Record<JobEvent["type"], JobEvent>;

/** A 32-byte secret for tests (whsec_ + base64). */
export const SECRET = "whsec_" + Buffer.alloc(32, 7).toString("base64");
export const OTHER_SECRET = "whsec_" + Buffer.alloc(32, 9).toString("base64");
export const NOW = new Date("2026-01-02T03:04:06Z");
export const NOW_S = Math.floor(NOW.getTime() / 1000);

export const cryptoModes = ["auto", "web"] as const;
