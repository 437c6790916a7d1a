// Strict base64 (RFC 4648 §4, standard alphabet). atob alone is lax (it skips whitespace and
// ignores the unused trailing bits), which would turn a typo in a secret into a silently
// different key and let two spellings of one signature both match. Re-encoding and comparing
// refuses both, in less code than a hand-written decoder (the verify core has a size budget).

/**
 * Decodes standard base64; padding is optional but must be right when present, and the
 * unused trailing bits must be zero. Returns `undefined` for anything else.
 *
 * @example
 * decodeBase64("AAE=") // Uint8Array [0, 1]
 */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    return undefined;
  }
  const canonical = btoa(binary);
  if (canonical !== text && canonical.replace(/=+$/, "") !== text) return undefined;
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Encodes bytes as padded standard base64.
 *
 * @example
 * encodeBase64(new Uint8Array([0, 1])) // "AAE="
 */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}
