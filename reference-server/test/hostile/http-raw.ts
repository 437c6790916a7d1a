import { connect } from "node:net";

/** One raw HTTP/1.1 exchange: what came back before the server closed (or `waitMs` passed). */
export interface RawExchange {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The server closed the connection. */
  closed: boolean;
  elapsedMs: number;
}

/**
 * Writes `head` (and then each of `chunks`, `gapMs` apart) on a fresh TCP connection and
 * reads until the server closes it or `waitMs` passes: for requests no HTTP client would send.
 *
 * @example
 * const answer = await rawExchange(url, "GARBAGE\r\n\r\n");
 */
export function rawExchange(baseUrl: string, head: string, options: { chunks?: string[]; gapMs?: number; waitMs?: number } = {}): Promise<RawExchange> {
  const { hostname, port } = new URL(baseUrl);
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let text = "";
    let closed = false;
    const timers: NodeJS.Timeout[] = [];
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      timers.forEach(clearTimeout);
      socket.destroy();
      const [headPart = "", ...rest] = text.split("\r\n\r\n");
      const [statusLine = "", ...lines] = headPart.split("\r\n");
      const headers = Object.fromEntries(
        lines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]),
      );
      resolve({ status: Number(statusLine.split(" ")[1] ?? 0), headers, body: rest.join("\r\n\r\n"), closed, elapsedMs: Date.now() - started });
    };
    socket.on("data", (data) => {
      text += data;
      // A whole answer (by its Content-Length) is enough: keep-alive would hold the socket.
      const end = text.indexOf("\r\n\r\n");
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
      if (end !== -1 && length && Buffer.byteLength(text.slice(end + 4)) >= Number(length[1])) finish();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      closed = true;
      finish();
    });
    socket.on("connect", () => {
      socket.write(head);
      (options.chunks ?? []).forEach((chunk, i) => {
        timers.push(setTimeout(() => socket.writable && socket.write(chunk), (i + 1) * (options.gapMs ?? 0)));
      });
    });
    timers.push(setTimeout(finish, options.waitMs ?? 5_000));
  });
}
