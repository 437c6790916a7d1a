/**
 * The strong ETag of a job's representation: its version, which grows on every change of the
 * representation (spec §2). The server and the msw mock both keep a version per job.
 *
 * @example
 * jobETag(3) // '"3"'
 */
export function jobETag(version: number): string {
  return `"${version}"`;
}
