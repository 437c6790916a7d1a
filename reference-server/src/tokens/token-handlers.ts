import { maxJobsPerScope, scopedTokenLifetimeS, type TokenScope } from "async-jobs/protocol";
import { ProblemError } from "../http/problems.ts";
import type { OperationHandlers } from "../http/operation-handler.ts";
import type { JobStore } from "../store/job-store.ts";
import { mintScopedToken } from "./scoped-token-codec.ts";

/** What minting needs: the signing key, and the stores to check the named resources exist. */
export interface TokenHandlerDeps {
  key: Uint8Array;
  store: JobStore;
  /** Throws a `not_found` problem when the tenant has no such upload. */
  getUpload: (tenant: string, id: string) => Promise<unknown>;
  now?: () => number;
}

/**
 * `POST /v1/tokens` (spec §8.3): a tenant token mints a short-lived token for some of its jobs
 * or one of its uploads. Every named resource must be the tenant's (else `404`), so a token
 * never names what its holder could not have read.
 *
 * @example
 * createApp({ handlers: { ...createTokenHandlers({ key, store, getUpload }) }, … })
 */
export function createTokenHandlers(deps: TokenHandlerDeps): OperationHandlers<"createScopedToken"> {
  const now = deps.now ?? Date.now;
  return {
    async createScopedToken(request, reply) {
      const { jobs, upload, cancel, ttl_seconds } = request.body;
      const tenant = request.tenant;
      if ((jobs === undefined) === (upload === undefined)) {
        throw new ProblemError("invalid_request", "Name either `jobs` or `upload`.", {
          errors: [{ path: "", message: "must have exactly one of jobs, upload" }],
        });
      }
      const expiresAt = now() + scopedTokenLifetimeS(ttl_seconds) * 1000;
      let scope: TokenScope;
      if (jobs !== undefined) {
        const ids = [...new Set(jobs)].slice(0, maxJobsPerScope);
        const found = await Promise.all(ids.map((id) => deps.store.getJob(tenant, id)));
        const missing = ids.find((_, i) => !found[i]);
        if (missing !== undefined) throw new ProblemError("not_found", `No job ${missing}.`);
        scope = { kind: "jobs", tenant, jobs: ids, cancel: cancel ?? false, expiresAt };
      } else {
        await deps.getUpload(tenant, upload!);
        scope = { kind: "upload", tenant, upload: upload!, expiresAt };
      }
      const token = mintScopedToken(deps.key, scope);
      const grant = scope.kind === "jobs" ? { jobs: scope.jobs as string[], cancel: scope.cancel } : { upload: scope.upload };
      return reply.code(201).header("Cache-Control", "no-store").send({ token, expires_at: new Date(expiresAt).toISOString(), ...grant });
    },
  };
}
