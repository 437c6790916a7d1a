import type { FastifyRequest } from "fastify";
import type { PendingUpload, PendingUploadList } from "async-jobs/types";
import { defaultServerConfig } from "../config.ts";
import { decodeCursor, encodeCursor } from "../http/list-cursor.ts";
import type { OperationHandlers } from "../http/operation-handler.ts";
import { ProblemError } from "../http/problems.ts";
import type { UploadRecord, UploadStore } from "../store/upload-store.ts";
import { uploadFields } from "./upload-fields.ts";

/** One page of a tenant's pending uploads: `limit` (default the server's) after `cursor`. */
export type PendingUploadsLister = (tenant: string, page: { limit?: number | undefined; cursor?: string | undefined }) => Promise<PendingUploadList>;

/**
 * The pending-uploads listing (spec §8.4): a tenant's unexpired pending uploads, newest first,
 * paged with the same opaque cursors as the job list (spec §2.6; upload ids sort by creation too).
 *
 * @example
 * const list = createPendingUploadsLister(store); const page = await list("acme", { limit: 10 });
 */
export function createPendingUploadsLister(store: UploadStore, options: { now?: (() => number) | undefined } = {}): PendingUploadsLister {
  const now = options.now ?? Date.now;
  return async (tenant, page) => {
    const beforeId = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    if (page.cursor !== undefined && beforeId === undefined) {
      throw new ProblemError("invalid_request", "The cursor is not one this server handed out.", {
        errors: [{ path: "cursor", message: "must be a next_cursor of a previous page" }],
      });
    }
    const limit = page.limit ?? defaultServerConfig.listLimit;
    // One more than the page: whether a next page exists, without a count.
    const records = await store.listPending({ tenant, now: now(), beforeId, limit: limit + 1 });
    const shown = records.slice(0, limit);
    return {
      data: shown.map(toPendingUpload),
      next_cursor: records.length > limit ? encodeCursor(shown[shown.length - 1]!.id) : null,
    };
  };
}

function toPendingUpload(record: UploadRecord): PendingUpload {
  return { id: record.id, status: "pending", ...uploadFields(record), created_at: new Date(record.createdAt).toISOString() };
}

/**
 * The `listUploads` handler, typed by its operation (the contract has validated `status`,
 * `limit` and `cursor` before it runs).
 *
 * @example
 * const handlers = { ...createUploadHandlers(service), ...createListUploadsHandler(list) };
 */
export function createListUploadsHandler(
  list: PendingUploadsLister,
  tenantOf: (request: FastifyRequest) => string = (request) => request.tenant,
): OperationHandlers<"listUploads"> {
  return {
    async listUploads(request) {
      return list(tenantOf(request), { limit: request.query.limit, cursor: request.query.cursor });
    },
  };
}
