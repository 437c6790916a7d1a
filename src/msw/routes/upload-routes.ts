import type { MockState } from "../mock-state.ts";
import { readJsonBody } from "../read-request.ts";
import type { MockRoute } from "./mock-route.ts";

/**
 * The upload operations (spec §4) and the signed URLs the mock hands out: part PUTs and
 * presigned downloads, both without a bearer token.
 *
 * @example
 * const handlers = uploadRoutes(state).map((route) => routeHandler(state, route));
 */
export function uploadRoutes(state: MockState): MockRoute[] {
  const { uploads, bodyLimit } = state;
  return [
    {
      method: "POST",
      path: "/v1/uploads",
      auth: true,
      async handle({ request, tenant }) {
        const rec = uploads.create(tenant, await readJsonBody(request, bodyLimit));
        return Response.json(uploads.view(rec), { status: 201, headers: { location: `/v1/uploads/${rec.upload.id}` } });
      },
    },
    {
      method: "GET",
      path: "/v1/uploads/:id",
      auth: true,
      handle: ({ tenant, params }) => Response.json(uploads.view(uploads.find(tenant, params.id!))),
    },
    {
      method: "DELETE",
      path: "/v1/uploads/:id",
      auth: true,
      handle({ tenant, params }) {
        uploads.abort(uploads.find(tenant, params.id!));
        return new Response(null, { status: 204 });
      },
    },
    {
      method: "POST",
      path: "/v1/uploads/:id/part-urls",
      auth: true,
      async handle({ request, tenant, params }) {
        const rec = uploads.find(tenant, params.id!);
        return Response.json({ parts: uploads.partUrls(rec, await readJsonBody(request, bodyLimit)) });
      },
    },
    {
      method: "POST",
      path: "/v1/uploads/:id/complete",
      auth: true,
      async handle({ request, tenant, params }) {
        const rec = uploads.find(tenant, params.id!);
        await uploads.complete(rec, await readJsonBody(request, bodyLimit));
        return Response.json(uploads.view(rec));
      },
    },
    {
      method: "PUT",
      path: "/v1/uploads/:id/parts/:number",
      auth: false,
      async handle({ request, url, params }) {
        const body = new Uint8Array(await request.arrayBuffer());
        const etag = await uploads.putPart(url, params.id!, Number(params.number), body);
        return new Response(null, { status: 200, headers: { etag, "access-control-expose-headers": "ETag" } });
      },
    },
    {
      method: "GET",
      path: "/v1/downloads/:id",
      auth: false,
      handle: ({ request, url, params }) => uploads.download(url, params.id!, request.headers.get("range")),
    },
  ];
}
