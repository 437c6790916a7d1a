import type { KyInstance } from "ky";
import type { ResolvedClientOptions } from "../client/client-options.ts";
import { createApiClient, type ApiClient } from "./api-client.ts";
import { createEngine } from "./send.ts";

export type { ApiClient };

/**
 * Everything a client needs to send requests: created once per `createClient`, shared by every
 * free function through `client["~transport"]`.
 *
 * @example
 * const { api, options } = transportOf(client)
 */
export interface Transport {
  readonly api: ApiClient;
  readonly options: ResolvedClientOptions;
  /** The ky instance every request goes through (API calls and part PUTs). */
  readonly engine: KyInstance;
  /** Told of every answer a call reads, for `.withResponse()`. */
  readonly onResponse?: ((response: Response) => void) | undefined;
}

/**
 * Builds the transport. The typed API client (`api-client.ts`) serialises the request (path, query, headers, JSON body)
 * and parses the answer; the `fetch` it calls is chosen per call (`request.ts`), so each call
 * carries its own retry policy.
 *
 * @example
 * const transport = createTransport(resolveClientOptions({ baseUrl }))
 */
export function createTransport(options: ResolvedClientOptions): Transport {
  const api = createApiClient(options.baseUrl, options.headers);
  return { api, options, engine: createEngine(options.hooks) };
}

/**
 * The transport of a client (or throws a `TypeError` for something that is not one).
 *
 * @example
 * transportOf(client).options.baseUrl
 */
export function transportOf(client: { readonly "~transport": Transport }): Transport {
  const transport = client?.["~transport"];
  if (!transport) throw new TypeError("Expected a client from createClient()");
  return transport;
}
