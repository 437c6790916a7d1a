import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { loadConfig, type ServerConfig } from "../../src/config.ts";
import { startServer, type RunningServer } from "../../src/server.ts";
import { specMismatches } from "./spec-validator.ts";

export const TOKEN = "tok_a";
export const OTHER_TOKEN = "tok_b";
export const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwAAAAAAAAAAA=";

/** One answer, parsed; already checked against openapi.yaml. */
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Raw body text (sent as is). */
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
  token?: string | null;
  /** Skip the spec check (for answers the test checks by hand). */
  unchecked?: boolean;
}

export interface TestServer {
  url: string;
  server: RunningServer;
  dir: string;
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

/**
 * A real server on loopback (port 0) over a SQLite file in a temp dir; `request` validates every
 * answer against openapi.yaml.
 */
export async function startTestServer(
  args: string[] = [],
  overrides: Partial<ServerConfig> = {},
  seams: Parameters<typeof startServer>[2] = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "async-jobs-rs-"));
  const config = {
    ...loadConfig([
      "serve", "--port", "0", "--store", `sqlite:${join(dir, "jobs.db")}`, "--blob-dir", join(dir, "blobs"),
      "--tokens", `${TOKEN}:acme,${OTHER_TOKEN}:globex`, "--webhook-secret", `acme:${SECRET}`, "--allow-private-webhooks",
      "--lease-timeout-ms", "600", "--retry-base-ms", "20", "--webhook-schedule-ms", "0,50,100", ...args,
    ]),
    ...overrides,
  };
  const server = await startServer(config, () => {}, seams);
  const url = server.url;
  return {
    url,
    server,
    dir,
    request: (method, path, options) => apiRequest(url, method, path, options),
    async close() {
      await server.close(1000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sends one request and checks the answer against the spec (unless `unchecked`). */
export async function apiRequest<T = any>(base: string, method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? TOKEN : options.token;
  if (token !== null) headers.authorization ??= `Bearer ${token}`;
  let body: string | Uint8Array | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const response = await fetch(base + path, { method, headers, body: body as BodyInit | undefined });
  const text = await response.text();
  let parsed: unknown = text;
  if ((response.headers.get("content-type") ?? "").includes("json") && text) parsed = JSON.parse(text);
  if (!options.unchecked) {
    expect(specMismatches(method, base + path, response.status, response.headers, parsed), `${method} ${path} → ${response.status} ${text.slice(0, 300)}`).toEqual([]);
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

/** Polls until `check` passes (for state reached asynchronously), failing after `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; last value ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
