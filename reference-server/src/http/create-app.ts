import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteHandlerMethod } from "fastify";
import openapiGlue from "fastify-openapi-glue";
import { parse as parseYaml } from "yaml";
import { createBodyDeadline } from "./body-deadline.ts";
import { StoreBusyError } from "../store/store-errors.ts";
import { isStoreUnavailable, STORE_RETRY_AFTER_S } from "../store/store-unavailable.ts";
import { applyCors, preflight } from "./cors.ts";
import { exceedsJsonDepth } from "./json-depth.ts";
import { type OperationHandlers, type OperationId, routeHandlerOf } from "./operation-handler.ts";
import { ProblemError } from "./problems.ts";
import { answerClientError, answerFrameworkError } from "./raw-problems.ts";
import { defaultServerConfig } from "../config.ts";
import { requestLogger } from "./request-log.ts";
import type { ScopedTokenAuth } from "../tokens/index.ts";
import { createRequestIds } from "./request-id.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The tenant of the bearer token (set on every operation that has `security` in the spec). */
    tenant: string;
  }
}

/** The contract this server is generated from: the repository's root openapi.yaml. */
export const OPENAPI_PATH = createRequire(import.meta.url).resolve("async-jobs/openapi.yaml");

// The upload and transfer operations (spec §4): without the uploads plugin they answer 404.
const UPLOAD_PATHS = /^\/v1\/(uploads|downloads)\b/;

/**
 * A fastify plugin that serves some operations of the spec in its own context (the uploads
 * feature: its part body parser stays inside). The core leaves those operations to it.
 */
export interface OperationsPlugin {
  /** The operations it serves. */
  operations: readonly OperationId[];
  /** Registers the routes of `specification`: openapi.yaml cut down to `operations`. */
  register(app: FastifyInstance, options: { specification: object }): Promise<void>;
}

export interface AppDeps {
  /** operationId → handler, each typed by its operation, for the operations this app serves itself. */
  handlers: Partial<OperationHandlers>;
  /** Plugins serving further operations (the uploads feature). */
  plugins?: readonly OperationsPlugin[];
  /** Bearer token → tenant. */
  tokens: ReadonlyMap<string, string>;
  /** Bearers that are no tenant token: job- and upload-scoped tokens (spec §8.3). @default none */
  scopedTokens?: ScopedTokenAuth | undefined;
  /** Largest JSON body in bytes (spec §1). @default defaultServerConfig.bodyLimit */
  bodyLimit?: number;
  /** fastify's logger option. @default false */
  logger?: boolean;
  /** Proxy addresses/CIDRs whose `X-Forwarded-*` is believed (fastify's trustProxy). @default none */
  trustProxy?: string | undefined;
  /** Deepest JSON nesting of a body (spec §1). @default defaultServerConfig.maxJsonDepth */
  maxJsonDepth?: number;
  /** @default defaultServerConfig.headersTimeoutMs */
  headersTimeoutMs?: number;
  /** Time for a JSON body to arrive. @default defaultServerConfig.requestTimeoutMs */
  requestTimeoutMs?: number;
  /** Idle connections are closed after this. @default defaultServerConfig.connectionTimeoutMs */
  connectionTimeoutMs?: number;
}

type Spec = {
  security?: unknown[];
  paths: Record<string, Record<string, { operationId?: string; security?: unknown[] }>>;
};

/**
 * The HTTP app: routes, request validation and auth requirements come from openapi.yaml
 * through fastify-openapi-glue, so the server cannot drift from the contract. Every refusal is
 * problem+json with a stable code; every response has `X-Request-Id`; CORS lets browsers in.
 *
 * @example
 * const app = await createApp({ handlers: createJobHandlers(deps), tokens: new Map([["dev", "t1"]]) });
 * await app.listen({ port: 0 });
 */
export async function createApp(deps: AppDeps): Promise<FastifyInstance> {
  const specText = readFileSync(OPENAPI_PATH, "utf8");
  const spec = parseYaml(specText) as Spec;
  const bodyLimit = deps.bodyLimit ?? defaultServerConfig.bodyLimit;
  const maxJsonDepth = deps.maxJsonDepth ?? defaultServerConfig.maxJsonDepth;
  const headersTimeout = deps.headersTimeoutMs ?? defaultServerConfig.headersTimeoutMs;
  const app = Fastify({
    logger: requestLogger(deps.logger ?? false),
    trustProxy: deps.trustProxy ?? false,
    bodyLimit,
    requestIdHeader: "x-request-id",
    genReqId: createRequestIds(),
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 2048 },
    // Every answer is problem+json with a request id (spec §1), even those made before routing
    // (bad %-encoding, an over-long id) and by Node's parser (malformed HTTP, huge headers).
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
    // Socket idleness; above the 20 s long-poll cap, so a held wait is never cut (spec §2).
    connectionTimeout: deps.connectionTimeoutMs ?? defaultServerConfig.connectionTimeoutMs,
    // Headers must arrive in time on every request (checked at least every second). Node's
    // `requestTimeout` stays off: it would also cut long part uploads, so bodies have their own
    // deadline (JSON) or rate guard (parts) instead.
    http: { headersTimeout, connectionsCheckingInterval: Math.min(1000, headersTimeout) },
    requestTimeout: 0,
  });
  const bodyDeadline = createBodyDeadline(deps.requestTimeoutMs ?? defaultServerConfig.requestTimeoutMs);

  // ---- validation: JSON Schema 2020-12, bodies exact, query/path/headers coerced from strings.
  const ajvOptions = { allErrors: true, strict: false, useDefaults: false } as const;
  const bodyAjv = new Ajv2020({ ...ajvOptions, coerceTypes: false });
  const paramAjv = new Ajv2020({ ...ajvOptions, coerceTypes: "array" });
  for (const ajv of [bodyAjv, paramAjv]) (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const { $id: _ignored, ...rest } = schema as Record<string, any>;
    // Node lowercases header names; fastify leaves a custom compiler's schema as it is.
    if (httpPart === "headers" && rest.properties) {
      rest.properties = Object.fromEntries(Object.entries(rest.properties).map(([k, v]) => [k.toLowerCase(), v]));
      if (Array.isArray(rest.required)) rest.required = rest.required.map((k: string) => k.toLowerCase());
    }
    return (httpPart === "body" ? bodyAjv : paramAjv).compile(rest);
  });

  // ---- routes as the spec says; we adjust what fastify would do differently.
  const security = new Map<string, boolean>();
  for (const item of Object.values(spec.paths)) {
    for (const op of Object.values(item)) {
      if (op && typeof op === "object" && op.operationId) {
        security.set(op.operationId, (op.security ?? spec.security ?? []).length > 0);
      }
    }
  }
  const known: { method: string; pattern: RegExp }[] = [];
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const pattern = new RegExp(`^${route.url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:\w+/g, "[^/]+")}$`);
    for (const method of methods) known.push({ method, pattern });
    const schema = route.schema as Record<string, any> | undefined;
    if (!schema) return;
    // Responses are checked against the spec in tests; fast-json-stringify cannot serialize the
    // Job `oneOf` faithfully, so replies go out through JSON.stringify.
    delete schema.response;
    const content = schema.body?.content as Record<string, { schema?: unknown }> | undefined;
    if (content) {
      if (content["application/json"]) {
        // One schema for application/json and application/*+json alike (fastify keys by media type).
        schema.body = content["application/json"].schema;
        route.config = { ...(route.config as object), jsonBody: true };
      } else {
        delete schema.body; // raw bytes (uploadPart): the handler streams them
      }
    }
    const operationId = schema.operationId as string | undefined;
    // Callback-style hooks: no promise (and no microtask hop) per hook per request.
    const hooks = [] as ((request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void)[];
    if ((route.config as { jsonBody?: boolean } | undefined)?.jsonBody) hooks.push(requireJson, bodyDeadline);
    else if (!content) hooks.push(ignoreBody);
    if (operationId && security.get(operationId)) hooks.push(authenticate);
    if (hooks.length > 0) {
      const existing = route.onRequest ? (Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]) : [];
      // Auth first: an unauthenticated request learns nothing about its body.
      route.onRequest = [...existing, ...hooks.reverse()] as never;
    }
  });

  function authenticate(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void) {
    const header = request.headers.authorization;
    const match = typeof header === "string" ? /^Bearer +([\x21-\x7E]+) *$/i.exec(header) : null;
    const tenant = match ? deps.tokens.get(match[1]!) : undefined;
    if (tenant === undefined && match && deps.scopedTokens) return done(deps.scopedTokens(match[1]!, request));
    if (tenant === undefined) {
      return done(
        new ProblemError("unauthorized", header ? "The bearer token is not valid." : "A bearer token is required.", {
          headers: { "WWW-Authenticate": "Bearer" },
        }),
      );
    }
    request.tenant = tenant;
    done();
  }

  // An operation without a request body ignores whatever body comes (never a 415 or 400 for it).
  function ignoreBody(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void) {
    delete request.headers["content-type"];
    delete request.headers["transfer-encoding"];
    request.headers["content-length"] = "0";
    done();
  }

  function requireJson(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void) {
    const type = request.headers["content-type"];
    const hasBody = request.headers["content-length"] !== undefined && request.headers["content-length"] !== "0";
    if (type === undefined && !hasBody && request.headers["transfer-encoding"] === undefined) return done();
    if (type === undefined || !isJsonMediaType(type)) {
      return done(new ProblemError("unsupported_media_type", `Expected application/json, got ${type ?? "no content type"}.`));
    }
    done();
  }

  // ---- body parsers: JSON (application/json, application/*+json), raw bytes for parts.
  app.removeAllContentTypeParsers();
  const parseJson = (_request: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text.trim() === "") return done(null, undefined);
    // Before parsing: nothing deeper than the limit reaches code that recurses over it (spec §1).
    if (exceedsJsonDepth(text, maxJsonDepth)) {
      return done(
        new ProblemError("invalid_request", `The JSON body is nested deeper than ${maxJsonDepth} levels.`, {
          errors: [{ path: "", message: `must not nest deeper than ${maxJsonDepth} levels` }],
        }),
      );
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new ProblemError("malformed_json", error instanceof Error ? error.message : "The body is not valid JSON."));
    }
  };
  app.addContentTypeParser("application/json", { parseAs: "string" }, parseJson);
  // fastify tests regex parsers against the whole header, parameters included.
  app.addContentTypeParser(/^application\/[a-z0-9!#$&^_.+-]+\+json\s*(;|$)/i, { parseAs: "string" }, parseJson);

  // ---- every response: X-Request-Id and CORS, set once when the request comes in (fastify keeps
  // reply headers through its error handler, so refusals carry them too; answers made before
  // routing set them in raw-problems.ts). One hook, no onSend pass per answer.
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("X-Request-Id", request.id);
    applyCors(reply);
    done();
  });

  app.setErrorHandler((error, request, reply) => {
    // A body refused on an unknown route (415, 413, bad JSON) is still an unknown route.
    if (request.is404) return routeMiss(request, reply);
    const problem = toProblemError(error);
    if (problem.status >= 500) request.log.error({ err: error }, "request failed");
    return sendProblem(reply, problem);
  });

  app.setNotFoundHandler((request, reply) => routeMiss(request, reply));
  function routeMiss(request: FastifyRequest, reply: FastifyReply) {
    const path = request.url.split("?")[0]!;
    const allowed = [...new Set(known.filter((k) => k.pattern.test(path)).map((k) => k.method))];
    if (request.method === "OPTIONS" && allowed.length > 0) return preflight(reply, [...allowed, "OPTIONS"]);
    if (allowed.length > 0) {
      return sendProblem(
        reply,
        new ProblemError("invalid_request", `${request.method} is not allowed on ${path}.`, {
          status: 405,
          title: "Method not allowed",
          headers: { Allow: [...allowed, "OPTIONS"].join(", ") },
        }),
      );
    }
    return sendProblem(reply, new ProblemError("not_found", `No route ${request.method} ${path}.`));
  }

  const unavailable: RouteHandlerMethod = async () => {
    throw new ProblemError("not_found", "Uploads are not enabled on this server.");
  };
  const builtIn: Partial<OperationHandlers> = {
    getHealth: async () => ({ status: "ok" }),
    getOpenApi: async (_request, reply) => reply.type("application/yaml; charset=utf-8").send(specText),
  };
  const handlers: Partial<OperationHandlers> = { ...builtIn, ...deps.handlers };
  const pluginOperations = new Set((deps.plugins ?? []).flatMap((plugin) => plugin.operations));
  for (const plugin of deps.plugins ?? []) {
    await app.register(plugin.register, { specification: specOf(spec, (id) => plugin.operations.includes(id as OperationId)) });
  }
  await app.register(openapiGlue, {
    specification: specOf(spec, (id) => !pluginOperations.has(id as OperationId)),
    operationResolver: (operationId: string, _method: string, url: string) =>
      routeHandlerOf(handlers, operationId) ?? (UPLOAD_PATHS.test(url) ? unavailable : notImplemented(operationId)),
  });
  return app;
}

/** A copy of the spec with only the operations `keep` accepts. */
function specOf(spec: Spec, keep: (operationId: string) => boolean): Spec {
  const copy = structuredClone(spec);
  for (const [path, item] of Object.entries(copy.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (op && typeof op === "object" && op.operationId && !keep(op.operationId)) delete item[method];
    }
    if (!Object.values(item).some((op) => op && typeof op === "object" && "operationId" in op)) delete copy.paths[path];
  }
  return copy;
}

function notImplemented(operationId: string): RouteHandlerMethod {
  return async () => {
    throw new ProblemError("not_found", `Operation ${operationId} is not served here.`);
  };
}

/**
 * Is this a JSON media type (`application/json` or `application/*+json`, parameters allowed)?
 *
 * @example
 * isJsonMediaType("application/merge-patch+json; charset=utf-8"); // true
 */
export function isJsonMediaType(contentType: string): boolean {
  const media = contentType.split(";")[0]!.trim().toLowerCase();
  return media === "application/json" || /^application\/[a-z0-9!#$&^_.+-]+\+json$/.test(media);
}

/**
 * Sends a problem+json answer with its headers.
 *
 * @example
 * return sendProblem(reply, new ProblemError("not_found", "No job job_1."));
 */
export function sendProblem(reply: FastifyReply, problem: ProblemError): FastifyReply {
  return reply
    .code(problem.status)
    .headers(problem.headers)
    .type("application/problem+json")
    .send(JSON.stringify(problem.toProblem()));
}

const FASTIFY_CODES: Record<string, ProblemError["code"]> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "unsupported_media_type",
  FST_ERR_CTP_BODY_TOO_LARGE: "payload_too_large",
  FST_ERR_CTP_EMPTY_JSON_BODY: "malformed_json",
  FST_ERR_CTP_INVALID_JSON_BODY: "malformed_json",
};

/**
 * Any error → the problem to answer with: our own refusals as they are, fastify's validation and
 * parser errors by their codes, anything else `500 internal`.
 */
export function toProblemError(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  const e = error as {
    name?: string;
    code?: string;
    status?: number;
    statusCode?: number;
    message?: string;
    detail?: string;
    title?: string;
    headers?: Record<string, string>;
    validation?: ErrorObject[];
    validationContext?: string;
  };
  if (e && typeof e === "object") {
    if (Array.isArray(e.validation)) {
      const part = e.validationContext ?? "body";
      return new ProblemError("invalid_request", `The request ${part === "body" ? "body" : part} does not match the schema.`, {
        errors: validationErrors(e.validation, part),
      });
    }
    if (typeof e.code === "string" && FASTIFY_CODES[e.code]) {
      return new ProblemError(FASTIFY_CODES[e.code]!, e.message ?? "");
    }
    // The database restarts or the disk is full: retryable, never a 500 (issue 20).
    if (isStoreUnavailable(error)) {
      return new ProblemError("overloaded", "The store is unavailable for now; retry shortly.", {
        headers: { "Retry-After": String(STORE_RETRY_AFTER_S) },
      });
    }
    if (error instanceof StoreBusyError) {
      return new ProblemError("overloaded", "The store is busy; retry shortly.", { headers: { "Retry-After": "1" } });
    }
    const status = e.statusCode ?? 0;
    if (status >= 400 && status < 500) {
      return new ProblemError(status === 413 ? "payload_too_large" : status === 415 ? "unsupported_media_type" : "invalid_request", e.message ?? "Bad request.", {
        status: status === 413 || status === 415 ? undefined : status,
      });
    }
  }
  return new ProblemError("internal", "An unexpected error occurred; quote the X-Request-Id.");
}

function validationErrors(errors: ErrorObject[], part: string) {
  return errors.map((e) => {
    let path = e.instancePath;
    const escape = (token: unknown) => String(token).replace(/~/g, "~0").replace(/\//g, "~1");
    if (e.keyword === "required") path += `/${escape(e.params.missingProperty)}`;
    if (e.keyword === "additionalProperties") path += `/${escape(e.params.additionalProperty)}`;
    // Body errors are JSON Pointers from the body root; a query or header error names it.
    if (part !== "body") path = path.replace(/^\//, "").split("/")[0] || part;
    return { path, message: e.message ?? "is invalid" };
  });
}
