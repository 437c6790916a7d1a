/** One record of a CSV file: its 1-based line number, its fields, and the bytes read so far. */
export interface CsvRecord {
  /** 1-based number of the record (the header is 1). */
  readonly record: number;
  readonly fields: string[];
  /** Bytes of the input consumed up to the end of this record (for progress). */
  readonly bytesRead: number;
}

/**
 * Parses CSV (RFC 4180: quoted fields, `""` escapes, newlines inside quotes, CRLF or LF)
 * from a byte stream, one record at a time: memory holds one record, whatever the file size.
 *
 * @example
 * for await (const { fields } of parseCsv(upload.read())) console.log(fields);
 */
export async function* parseCsv(source: AsyncIterable<Uint8Array>): AsyncGenerator<CsvRecord> {
  const decoder = new TextDecoder();
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  let afterQuote = false; // the previous char closed a quote: `"` now is an escaped quote
  let record = 0;
  let bytesRead = 0;
  let pendingCr = false;
  const endField = () => {
    fields.push(field);
    field = "";
  };
  for await (const chunk of source) {
    bytesRead += chunk.byteLength;
    const text = decoder.decode(chunk, { stream: true });
    const out: string[][] = [];
    for (const char of text) {
      if (quoted) {
        if (char === '"') {
          quoted = false;
          afterQuote = true;
        } else field += char;
        continue;
      }
      if (char === '"') {
        if (afterQuote) field += '"'; // "" inside a quoted field
        quoted = true;
        afterQuote = false;
        continue;
      }
      afterQuote = false;
      if (char === ",") endField();
      else if (char === "\n" || char === "\r") {
        if (char === "\n" && pendingCr) {
          pendingCr = false;
          continue;
        }
        pendingCr = char === "\r";
        endField();
        out.push(fields);
        fields = [];
      } else {
        pendingCr = false;
        field += char;
      }
    }
    for (const done of out) {
      // A blank line is not a record.
      if (done.length === 1 && done[0] === "") continue;
      yield { record: ++record, fields: done, bytesRead };
    }
  }
  if (field !== "" || fields.length > 0) {
    endField();
    yield { record: ++record, fields, bytesRead };
  }
}
