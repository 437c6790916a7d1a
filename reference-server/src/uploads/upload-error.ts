/** Problem codes the uploads feature answers with (CONTRACT §7), and their HTTP status. */
export const UPLOAD_PROBLEMS = {
  not_found: { status: 404, title: "Not found" },
  invalid_request: { status: 416, title: "Range not satisfiable" },
  invalid_input: { status: 422, title: "Invalid input" },
  invalid_part: { status: 422, title: "Invalid part" },
  upload_incomplete: { status: 422, title: "Upload incomplete" },
  checksum_mismatch: { status: 422, title: "Checksum mismatch" },
  upload_not_pending: { status: 409, title: "Upload not pending" },
  url_expired: { status: 403, title: "URL expired" },
  invalid_signature: { status: 403, title: "Invalid signature" },
  size_mismatch: { status: 400, title: "Size mismatch" },
} as const satisfies Record<string, { status: number; title: string }>;

export type UploadProblemCode = keyof typeof UPLOAD_PROBLEMS;

/**
 * A refusal of the uploads feature, turned into problem+json at the HTTP boundary.
 *
 * @example
 * throw new UploadError("upload_not_pending", `Upload ${id} is completed.`);
 */
export class UploadError extends Error {
  override readonly name = "UploadError";
  readonly status: number;
  readonly title: string;
  constructor(
    readonly code: UploadProblemCode,
    readonly detail: string,
    /** Extra response headers (e.g. `Content-Range` on 416, `Connection: close`). */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.status = UPLOAD_PROBLEMS[code].status;
    this.title = UPLOAD_PROBLEMS[code].title;
  }
}

/**
 * Is this an {@link UploadError} (also across module copies)?
 *
 * @example
 * if (isUploadError(error)) reply.code(error.status)
 */
export function isUploadError(error: unknown): error is UploadError {
  return error instanceof UploadError || (error instanceof Error && error.name === "UploadError" && "code" in error);
}
