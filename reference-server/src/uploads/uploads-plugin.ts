import type { FastifyInstance } from "fastify";
import openapiGlue from "fastify-openapi-glue";
import type { OperationsPlugin } from "../http/create-app.ts";
import { routeHandlerOf } from "../http/operation-handler.ts";
import type { OperationId } from "../http/operation-handler.ts";
import { createListUploadsHandler, type PendingUploadsLister } from "./list-pending-uploads.ts";
import { createUploadHandlers, registerPartBody, type UploadHandlersOptions, type UploadOperationId } from "./upload-handlers.ts";
import type { UploadService } from "./upload-service.ts";

/** The upload and transfer operations (spec §4), in the order openapi.yaml lists them. */
export const UPLOAD_OPERATIONS: readonly (UploadOperationId | "listUploads")[] = [
  "createUpload",
  "getUpload",
  "abortUpload",
  "createPartUrls",
  "completeUpload",
  "uploadPart",
  "downloadFile",
  "listUploads", // the pending-uploads listing (spec §8.4)
];

/**
 * The uploads feature as a fastify plugin: its own context holds the part body parser (any
 * content type, streamed) and the upload routes, from openapi.yaml like every route. Refusals
 * are ProblemErrors, rendered by the core's error handler; auth, validation and request ids come
 * from the core's hooks, which the plugin's context inherits.
 *
 * @example
 * const app = await createApp({ handlers, tokens, plugins: [createUploadsPlugin(service)] });
 */
export function createUploadsPlugin(
  service: UploadService,
  options: UploadHandlersOptions = {},
  listPending?: PendingUploadsLister,
): OperationsPlugin {
  const handlers = {
    ...createUploadHandlers(service, options),
    ...(listPending ? createListUploadsHandler(listPending, options.tenantOf) : {}),
  };
  const operations: readonly OperationId[] = listPending ? UPLOAD_OPERATIONS : UPLOAD_OPERATIONS.filter((id) => id !== "listUploads");
  return {
    operations,
    async register(app: FastifyInstance, { specification }: { specification: object }) {
      registerPartBody(app);
      await app.register(openapiGlue, {
        specification,
        operationResolver: (operationId: string) => {
          const handler = routeHandlerOf(handlers, operationId);
          if (!handler) throw new Error(`the uploads plugin has no handler for ${operationId}`);
          return handler;
        },
      });
    },
  };
}
