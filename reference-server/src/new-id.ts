import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; // Crockford base32, as ULID
let lastMs = -1;
let lastRandom = 0n;

function encode(value: bigint, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

/**
 * A time-sortable id with a type prefix (CONTRACT §1): a ULID, monotonic within a process, so
 * ids sort by creation time and list cursors can key on them.
 *
 * @example
 * newId("job"); // "job_01JD3Z9A7C1E2F3G4H5J6K7M8N"
 */
export function newId(prefix: string, now = Date.now()): string {
  if (now <= lastMs) {
    lastRandom += 1n; // same millisecond: keep the order of creation
    now = lastMs;
  } else {
    lastMs = now;
    lastRandom = BigInt(`0x${randomBytes(10).toString("hex")}`) >> 1n; // room to increment
  }
  return `${prefix}_${encode(BigInt(now), 10)}${encode(lastRandom, 16)}`;
}
