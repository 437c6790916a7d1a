import { request, type HasTransport } from "../internal/request.ts";
import type { ScopedToken } from "../types.ts";

/** Options of `createUploadToken`. */
export interface CreateUploadTokenOptions {
  /** Lifetime in seconds, at most 3600 (spec §8.3). @default 900 (the server's default) */
  ttlSeconds?: number | undefined;
  /** Aborts the request. */
  signal?: AbortSignal | undefined;
}

/**
 * Mints a short-lived token that can only drive this upload (status, part URLs, complete), for
 * a browser (spec §8.3, `POST /v1/tokens`). Your backend creates the upload and mints; the page
 * uploads with `uploadFile(createClient({ baseUrl, token }), file, { resume: uploadId })`.
 *
 * @example
 * const { token } = await createUploadToken(client, upload.id)
 */
export async function createUploadToken(client: HasTransport, id: string, options: CreateUploadTokenOptions = {}): Promise<ScopedToken> {
  const { data } = await request(
    client,
    (api, init) => api.POST("/v1/tokens", { ...init, body: { upload: id, ...(options.ttlSeconds === undefined ? {} : { ttl_seconds: options.ttlSeconds }) } }),
    { signal: options.signal },
  );
  return data;
}
