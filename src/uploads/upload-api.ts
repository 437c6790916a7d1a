import { request, type HasTransport } from "../internal/request.ts";
import type { CompleteUploadRequest, CreateUploadRequest, Part, Upload } from "../types.ts";

/**
 * The four upload operations `uploadFile` needs, each through the client's request helper
 * (typed from `openapi.yaml`, retried by the client's policy, errors as `ApiError`).
 *
 * @example
 * const api = createUploadApi(client); const upload = await api.get("upl_…")
 */
export interface UploadApi {
  create(body: CreateUploadRequest, signal?: AbortSignal): Promise<Upload>;
  get(id: string, signal?: AbortSignal): Promise<Upload>;
  partUrls(id: string, numbers: number[], signal?: AbortSignal): Promise<Part[]>;
  complete(id: string, body: CompleteUploadRequest, signal?: AbortSignal): Promise<Upload>;
}

/**
 * Binds the upload operations to a client.
 *
 * @example
 * const { id } = await createUploadApi(client).create({ filename: "a.txt", content_type: "text/plain", size: 1 })
 */
export function createUploadApi(client: HasTransport): UploadApi {
  return {
    // Retrying a create at worst leaves an unused pending upload, which expires (spec §4).
    create: async (body, signal) =>
      (await request(client, (api, init) => api.POST("/v1/uploads", { ...init, body }), { signal, idempotent: true })).data,
    get: async (id, signal) =>
      (await request(client, (api, init) => api.GET("/v1/uploads/{id}", { ...init, params: { path: { id } } }), { signal })).data,
    partUrls: async (id, numbers, signal) =>
      (
        await request(
          client,
          (api, init) => api.POST("/v1/uploads/{id}/part-urls", { ...init, params: { path: { id } }, body: { numbers } }),
          { signal, idempotent: true },
        )
      ).data.parts,
    // Completing again with the same parts is 200 (spec §4): safe to retry.
    complete: async (id, body, signal) =>
      (
        await request(
          client,
          (api, init) => api.POST("/v1/uploads/{id}/complete", { ...init, params: { path: { id } }, body }),
          { signal, idempotent: true },
        )
      ).data,
  };
}
