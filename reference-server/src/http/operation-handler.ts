import type { FastifyReply, FastifyRequest, RouteGenericInterface, RouteHandlerMethod } from "fastify";
import type { operations } from "async-jobs/types";

/** An operationId of openapi.yaml. */
export type OperationId = keyof operations;

// `never` (the generator's "no such part") reads as `unknown`: nothing to type, nothing to read.
type Present<T> = [NonNullable<T>] extends [never] ? unknown : NonNullable<T>;
// Node lowercases header names; the contract spells them as the RFCs do.
type LowercaseKeys<T> = { [K in keyof T as Lowercase<K & string>]: T[K] };
type JsonBody<O> = O extends { requestBody: { content: { "application/json": infer B } } }
  ? B
  : O extends { requestBody?: { content: { "application/json": infer B } } }
    ? B | undefined
    : unknown;
type Parameters<O, Part extends string> = O extends { parameters: infer P } ? (Part extends keyof P ? Present<P[Part]> : unknown) : unknown;

/**
 * fastify's route generic for one operation: body, path params, query and headers as the
 * contract declares them (spec validation has made them true before a handler runs).
 */
export interface OperationRoute<Id extends OperationId> extends RouteGenericInterface {
  Body: JsonBody<operations[Id]>;
  Params: Parameters<operations[Id], "path">;
  Querystring: Parameters<operations[Id], "query">;
  Headers: LowercaseKeys<Parameters<operations[Id], "header">>;
}

/** The request a handler of `Id` gets. */
export type OperationRequest<Id extends OperationId> = FastifyRequest<OperationRoute<Id>>;

/** A handler of one operation, typed from the generated `operations`. */
export type OperationHandler<Id extends OperationId> = (request: OperationRequest<Id>, reply: FastifyReply) => Promise<unknown>;

/**
 * Handlers keyed by operationId, each typed by its own operation.
 *
 * @example
 * const handlers: OperationHandlers<"getJob"> = {
 *   async getJob(request) { return lookUp(request.params.id); }, // params.id: string, no cast
 * };
 */
export type OperationHandlers<Id extends OperationId = OperationId> = { [K in Id]: OperationHandler<K> };

/**
 * The handler of `operationId` among typed handlers, as fastify's untyped route table takes it
 * (fastify-openapi-glue's `operationResolver`). The one place where the types are let go: the
 * spec's validation has made each handler's request type true before it runs.
 *
 * @example
 * openapiGlue({ specification, operationResolver: (id) => routeHandlerOf(handlers, id) });
 */
export function routeHandlerOf(handlers: Partial<OperationHandlers>, operationId: string): RouteHandlerMethod | undefined {
  return Object.hasOwn(handlers, operationId) ? (handlers[operationId as OperationId] as RouteHandlerMethod | undefined) : undefined;
}
