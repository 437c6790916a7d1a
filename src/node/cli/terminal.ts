/** Shows the cursor and turns line wrap back on: what a progress bar turned off (ESC[?25l, ESC[?7l). */
export const restoreTerminalSequence = "\u001b[?25h\u001b[?7h";

/**
 * Undoes what a bar did to the terminal, if the stream is one; a pipe gets no escape codes.
 *
 * @example
 * restoreTerminal(process.stderr)
 */
export function restoreTerminal(stream: NodeJS.WriteStream): void {
  if (stream.isTTY) stream.write(restoreTerminalSequence);
}
