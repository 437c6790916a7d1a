import { unsatisfiableRange } from "async-jobs/protocol";
import { ProblemError } from "../http/problems.ts";

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
 * A refusal of the uploads feature: a {@link ProblemError} whose codes are the uploads' own, so
 * the HTTP layer renders it like any other refusal.
 *
 * @example
 * throw new UploadError("upload_not_pending", `Upload ${id} is completed.`);
 */
export class UploadError extends ProblemError {
  constructor(
    code: UploadProblemCode,
    detail: string,
    /** Extra response headers (e.g. `Content-Range` on 416). */
    headers: Record<string, string> = {},
  ) {
    super(code, detail, { ...OVERRIDES[code], headers });
  }
}
