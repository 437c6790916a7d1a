import { randomFillSync } from "node:crypto";

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

const RANDOM_BITS = 80n;
const STEP_BITS = 64n;

// Random bytes are drawn 4 KiB at a time: one `getrandom` call per ~400 ids instead of per id.
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

/** `bits` fresh random bits (at most 80). */
function randomBits(bits: bigint): bigint {
  const bytes = Number((bits + 7n) / 8n);
  if (poolAt + bytes > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const hex = pool.toString("hex", poolAt, (poolAt += bytes));
  return BigInt.asUintN(Number(bits), BigInt(`0x${hex}`));
}

/**
 * A time-sortable id with a type prefix (spec §1): a ULID, monotonic within a process, so
 * ids sort by creation time and list cursors can key on them.
 *
 * Within one millisecond each id adds a fresh random step of up to 2^64 to the previous one:
 * creation order is kept, but knowing one id does not tell its neighbour (a `+1` step would).
 *
 * @example
 * newId("job"); // "job_01JD3Z9A7C1E2F3G4H5J6K7M8N"
 */
export function newId(prefix: string, now = Date.now()): string {
  if (now <= lastMs) {
    now = lastMs;
    lastRandom += 1n + randomBits(STEP_BITS);
    if (lastRandom >> RANDOM_BITS !== 0n) {
      // The millisecond's 80 bits are used up (~2^15 ids): borrow the next millisecond.
      now = lastMs = lastMs + 1;
      lastRandom = randomBits(RANDOM_BITS - 1n);
    }
  } else {
    lastMs = now;
    lastRandom = randomBits(RANDOM_BITS - 1n); // top bit clear: room for the steps
  }
  if (now !== encodedMs) {
    encodedMs = now;
    encodedTime = encode(BigInt(now), 10);
  }
  return `${prefix}_${encodedTime}${encode(lastRandom, 16)}`;
}
