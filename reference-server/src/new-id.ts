import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; // Crockford base32, as ULID
let lastMs = -1;
let lastRandom = 0n;

// BigInt's native base-32 digits (0-9a-v) → Crockford's alphabet, one lookup per character.
const FROM_BASE32: Record<string, string> = Object.fromEntries(
  [..."0123456789abcdefghijklmnopqrstuv"].map((digit, i) => [digit, ALPHABET[i]!]),
);

/** The low `length` base-32 digits of `value`, most significant first (as ULID). */
function encode(value: bigint, length: number): string {
  const digits = BigInt.asUintN(length * 5, value).toString(32).padStart(length, "0");
  let out = "";
  for (let i = 0; i < length; i++) out += FROM_BASE32[digits[i]!];
  return out;
}

// Ids made in the same millisecond share the time part: encoded once per millisecond.
let encodedMs = -1;
let encodedTime = "";

/**
 * A time-sortable id with a type prefix (spec §1): a ULID, monotonic within a process, so
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
  if (now !== encodedMs) {
    encodedMs = now;
    encodedTime = encode(BigInt(now), 10);
  }
  return `${prefix}_${encodedTime}${encode(lastRandom, 16)}`;
}
