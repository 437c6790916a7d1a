import type { PendingUpload, PendingUploadList } from "../../types.ts";
import type { MockState } from "../mock-state.ts";
import { invalidRequest } from "../problem-response.ts";
import type { MockRoute } from "./mock-route.ts";

/**
 * The pending-uploads listing (spec §8.4): `GET /v1/uploads?status=pending`, the tenant's
 * pending uploads newest first. A cursor is the id of the last upload shown, so a page never
 * repeats or skips one whatever happens to the uploads in between.
 *
 * @example
 * const routes = [...uploadRoutes(state), ...uploadListRoutes(state)];
 */
export function uploadListRoutes(state: MockState): MockRoute[] {
  return [
    {
      method: "GET",
      path: "/v1/uploads",
      auth: true,
      handle({ url, tenant }) {
        const q = url.searchParams;
        if (q.get("status") !== "pending") throw invalidRequest("status", "is required and must be pending");
        const limitText = q.get("limit") ?? "20";
        const limit = /^\d+$/.test(limitText) ? Number(limitText) : NaN;
        if (!(limit >= 1 && limit <= 100)) throw invalidRequest("limit", "must be an integer from 1 to 100");
        const newestFirst = state.uploads.ofTenant(tenant).reverse();
        const cursor = q.get("cursor");
        let from = 0;
        if (cursor !== null) {
          from = newestFirst.findIndex((rec) => rec.upload.id === cursor) + 1;
          if (from === 0) throw invalidRequest("cursor", "is not a cursor this server issued");
        }
        const pending = newestFirst.slice(from).filter((rec) => rec.upload.status === "pending");
        const page = pending.slice(0, limit);
        const body: PendingUploadList = {
          data: page.map(({ upload, createdAt }): PendingUpload => ({
            id: upload.id,
            status: "pending",
            filename: upload.filename,
            content_type: upload.content_type,
            size: upload.size,
            sha256: upload.sha256,
            part_size: upload.part_size,
            part_count: upload.part_count,
            created_at: new Date(createdAt).toISOString(),
            expires_at: upload.expires_at,
          })),
          next_cursor: pending.length > limit ? page[page.length - 1]!.upload.id : null,
        };
        return Response.json(body);
      },
    },
  ];
}
