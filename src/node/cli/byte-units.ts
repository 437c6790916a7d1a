// One unit system for every size the CLI prints: binary (KiB, MiB, GiB), as the upload part
// sizes are (8 MiB parts), so a transfer bar, a summary and a job's progress agree.
const units = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/**
 * A byte count for people, in binary units with one decimal (bytes stay whole).
 *
 * @example
 * formatBytes(200 * 1024 * 1024) // "200.0 MiB"
 */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * A job progress message with its byte counts in the same units (`"1048576 of 2097152 bytes"`,
 * as the reference server's file jobs report, becomes `"1.0 of 2.0 MiB"`). Other text is kept.
 *
 * @example
 * formatProgressMessage("1048576 of 2097152 bytes") // "1.0 MiB of 2.0 MiB"
 */
export function formatProgressMessage(message: string): string {
  return message.replace(/\b(\d+) of (\d+) bytes\b/g, (_, done: string, total: string) => `${formatBytes(Number(done))} of ${formatBytes(Number(total))}`).replace(/\b(\d+) bytes\b/g, (_, n: string) => formatBytes(Number(n)));
}
