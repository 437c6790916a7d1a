/**
 * Is this JSON text nested deeper than `maxDepth` arrays and objects? A scan of the raw text
 * before `JSON.parse`, so a hostile body never reaches code that recurses over it (canonical
 * JSON, schema validation, event serialization: spec §1). Strings are skipped with `indexOf`,
 * so the cost is one pass over the structure, not over every character of long strings.
 * Malformed text is not judged here: `JSON.parse` refuses it next.
 *
 * @example
 * exceedsJsonDepth("[[1]]", 1); // true
 * exceedsJsonDepth('{"a":"[[[["}', 1); // false
 */
export function exceedsJsonDepth(text: string, maxDepth: number): boolean {
  // Each level needs an opening bracket: a short text cannot be too deep.
  if (text.length <= maxDepth) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Jump to the closing quote, past escaped ones (an odd run of backslashes).
      for (;;) {
        const end = text.indexOf('"', i + 1);
        if (end === -1) return false;
        let backslashes = 0;
        while (text.charCodeAt(end - 1 - backslashes) === 0x5c) backslashes++;
        i = end;
        if (backslashes % 2 === 0) break;
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return false;
}
