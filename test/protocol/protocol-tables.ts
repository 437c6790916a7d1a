// The drifted rules as data, written once: the unit tests run them against the parsers and
// test/protocol/http-tables.test.ts runs them over HTTP against the msw mock and the reference
// server alike (spec §2, §4, §7).

/** `Prefer` spellings and the wait (seconds) they ask for; undefined: no usable wait. */
export const preferSpellings: { header: string; wait: number | undefined }[] = [
  { header: "wait=2", wait: 2 },
  { header: "wait = 2", wait: 2 },
  { header: "WAIT=2", wait: 2 },
  { header: 'wait="2"', wait: 2 },
  { header: "respond-async, wait=2", wait: 2 },
  { header: "respond-async; wait=2", wait: 2 },
  { header: "respond-async ;wait=2", wait: 2 },
  { header: "handling=lenient,wait=2", wait: 2 },
  { header: "wait=0", wait: 0 },
  { header: "wait=abc", wait: undefined },
  { header: "wait=-1", wait: undefined },
  { header: "wait", wait: undefined },
  { header: "wait=1.5", wait: undefined },
  { header: "respond-async", wait: undefined },
  { header: "nowait=2", wait: undefined },
  { header: "wait=60", wait: 60 },
];

/** `If-None-Match` forms against a current ETag `"E"`, and whether they match it (a 304). */
export const ifNoneMatchForms: { header: (etag: string) => string; matches: boolean; name: string }[] = [
  { name: "the ETag", header: (e) => e, matches: true },
  { name: "the weak ETag", header: (e) => `W/${e}`, matches: true },
  { name: "a list holding the ETag", header: (e) => `"other", ${e}`, matches: true },
  { name: "a list holding the weak ETag", header: (e) => `"other",W/${e}`, matches: true },
  { name: "*", header: () => "*", matches: true },
  { name: "another ETag", header: () => `"other"`, matches: false },
  { name: "the ETag unquoted", header: (e) => e.replace(/"/g, ""), matches: false },
];

/**
 * `Range` headers on a file of `size` bytes (at least 10): the status and the bytes answered
 * as an inclusive `[start, end]`.
 */
export const rangeHeaders: { name: string; header: (size: number) => string | undefined; status: 200 | 206 | 416; bytes?: (size: number) => [number, number] }[] = [
  { name: "no Range", header: () => undefined, status: 200, bytes: (n) => [0, n - 1] },
  { name: "bytes=0-3", header: () => "bytes=0-3", status: 206, bytes: () => [0, 3] },
  { name: "bytes=7-", header: () => "bytes=7-", status: 206, bytes: (n) => [7, n - 1] },
  { name: "bytes=-3", header: () => "bytes=-3", status: 206, bytes: (n) => [n - 3, n - 1] },
  { name: "an end past the file", header: (n) => `bytes=5-${n + 100}`, status: 206, bytes: (n) => [5, n - 1] },
  { name: "a suffix longer than the file", header: (n) => `bytes=-${n + 100}`, status: 206, bytes: (n) => [0, n - 1] },
  { name: "case and spaces", header: () => "Bytes = 2 - 4", status: 206, bytes: () => [2, 4] },
  { name: "a start at the end", header: (n) => `bytes=${n}-`, status: 416 },
  { name: "an empty suffix", header: () => "bytes=-0", status: 416 },
  { name: "last before first (ignored)", header: () => "bytes=5-1", status: 200, bytes: (n) => [0, n - 1] },
  { name: "several ranges (ignored)", header: () => "bytes=0-1,5-6", status: 200, bytes: (n) => [0, n - 1] },
  { name: "another unit (ignored)", header: () => "items=0-1", status: 200, bytes: (n) => [0, n - 1] },
];

/** `Idempotency-Key` spellings: the key they carry, or "malformed" (`400 invalid_request`). */
export const idempotencyKeySpellings: { header: string; key: string | "malformed" }[] = [
  { header: "k1", key: "k1" },
  { header: '"k1"', key: "k1" },
  { header: '"a\\"b"', key: 'a"b' },
  { header: 'a"b', key: 'a"b' },
  { header: '"a\\\\b"', key: "a\\b" },
  { header: "with space", key: "with space" },
  { header: "x".repeat(255), key: "x".repeat(255) },
  { header: `"${"x".repeat(255)}"`, key: "x".repeat(255) },
  { header: "x".repeat(256), key: "malformed" },
  { header: "tab\there", key: "malformed" },
  { header: "é", key: "malformed" },
  // A bare key never starts with `"`: an unterminated or badly escaped quoted form is refused (spec §2.3.2).
  { header: '"abc', key: "malformed" },
  { header: '"a\\qb"', key: "malformed" },
  { header: '"', key: "malformed" },
  { header: '""', key: "malformed" },
];
