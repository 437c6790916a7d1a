import { request, type HasTransport } from "../internal/request.ts";
import type { PendingUpload, PendingUploadList } from "../types.ts";

/** Filters and paging of `listUploads`. */
export interface ListUploadsOptions {
  /** Which uploads: `pending` is the only status the listing knows (spec §8.4). @default "pending" */
  status?: "pending" | undefined;
  /** Page size, 1-100. @default 20 (the server's) */
  limit?: number | undefined;
  /** Start from this `next_cursor` instead of the newest upload. */
  cursor?: string | undefined;
  /** Aborts the iteration (the next page request rejects). */
  signal?: AbortSignal | undefined;
}

/**
 * Iterates over pages of the caller's pending uploads, newest first, fetching each page when the
 * loop asks for it. A server without the listing (an extension) answers `404` or `405`, thrown
 * as `ApiError`.
 *
 * @example
 * for await (const page of listUploadPages(client, { limit: 100 })) save(page.next_cursor)
 */
export async function* listUploadPages(client: HasTransport, options: ListUploadsOptions = {}): AsyncGenerator<PendingUploadList, void, undefined> {
  let cursor = options.cursor;
  do {
    const query = { status: options.status ?? "pending", limit: options.limit, cursor };
    const { data } = await request(client, (api, init) => api.GET("/v1/uploads", { ...init, params: { query } }), { signal: options.signal });
    yield data;
    cursor = data.next_cursor ?? undefined;
  } while (cursor);
}

/**
 * Iterates over every pending upload of the caller across all pages (spec §8.4), e.g. to offer
 * the unfinished ones to the user, who picks the file again and resumes with its id.
 *
 * @example
 * for await (const upload of listUploads(client)) console.log(upload.id, upload.filename, upload.size)
 */
export async function* listUploads(client: HasTransport, options: ListUploadsOptions = {}): AsyncGenerator<PendingUpload, void, undefined> {
  for await (const page of listUploadPages(client, options)) yield* page.data;
}
