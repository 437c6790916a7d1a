import type { FastifyRequest } from "fastify";
import { parseJobIds, scopedTokenAccess, type TokenScope } from "async-jobs/protocol";
import { ProblemError } from "../http/problems.ts";
import { verifyScopedToken } from "./scoped-token-codec.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** Set when the bearer was a scoped token (spec §8.3): what it grants. */
    tokenScope?: TokenScope;
  }
}

/** Authenticates a bearer that is no tenant token: a scoped token, or a refusal to answer with. */
export type ScopedTokenAuth = (token: string, request: FastifyRequest) => ProblemError | undefined;

/**
 * The scoped-token branch of auth (spec §8.3): a valid, unexpired token on an operation and
 * resources it grants sets `request.tenant` (and `tokenScope`); an expired or unknown token is
 * `401`; a valid one elsewhere is `404` on a job or upload it does not name (as if it did not
 * exist) or `401` on operations that name none (submit, list, minting).
 *
 * @example
 * createApp({ …, scopedTokens: createScopedTokenAuth(key) })
 */
export function createScopedTokenAuth(key: Uint8Array, now: () => number = Date.now): ScopedTokenAuth {
  return (token, request) => {
    const verified = verifyScopedToken(key, token, now());
    if (verified.kind !== "valid") {
      return unauthorized(verified.kind === "expired" ? "The scoped token has expired." : "The bearer token is not valid.");
    }
    const operationId = String((request.routeOptions.schema as { operationId?: string } | undefined)?.operationId ?? "");
    const access = scopedTokenAccess(verified.scope, operationId, resourceIds(request));
    if (access === "unauthorized") return unauthorized("A scoped token is not valid for this operation.");
    if (access === "not_found") return new ProblemError("not_found", "Not found.");
    request.tenant = verified.scope.tenant;
    request.tokenScope = verified.scope;
    return undefined;
  };
}

/** The jobs or upload a request addresses: its path's `id`, or a many-jobs stream's `ids`. */
function resourceIds(request: FastifyRequest): string[] {
  const id = (request.params as { id?: string } | undefined)?.id;
  if (id !== undefined) return [id];
  return parseJobIds((request.query as { ids?: string } | undefined)?.ids);
}

function unauthorized(detail: string): ProblemError {
  // The same challenge as any refused token (spec §1.3): nothing tells a scoped token apart.
  return new ProblemError("unauthorized", detail, { headers: { "WWW-Authenticate": "Bearer" } });
}
