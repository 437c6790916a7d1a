import { problemRegistry, unsatisfiableRange } from "async-jobs/protocol";

/** Problem codes the uploads feature refuses with (spec §7); statuses come from the one registry. */
export type UploadProblemCode =
  | "not_found"
  | "invalid_request"
  | "invalid_part"
  | "upload_incomplete"
  | "checksum_mismatch"
  | "upload_not_pending"
  | "url_expired"
  | "invalid_signature"
  | "size_mismatch";

// The one status the registry does not give: a Range outside the file (spec §4).
const OVERRIDES: Partial<Record<UploadProblemCode, { status: number; title: string }>> = {
  [unsatisfiableRange.code]: unsatisfiableRange,
};

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
    const { status, title } = OVERRIDES[code] ?? problemRegistry[code];
    this.status = status;
    this.title = title;
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
