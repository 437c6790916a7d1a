import { createClient } from "async-jobs";

declare const auth: { accessToken(): Promise<string> };

export const client = createClient({
  // Required: the server's origin, with a path prefix if it has one.
  baseUrl: "https://jobs.example.com",
  // A fixed bearer token…
  token: "tok_live_…",
  // …or a function called before each request (wins over `token`), e.g. to refresh OAuth tokens.
  getToken: () => auth.accessToken(),
  // Any fetch: instrumentation, a proxy agent, or a test double. Default: globalThis.fetch.
  fetch: (input, init) => globalThis.fetch(input, init),
  // Per-attempt timeout (a long poll adds its wait). Default 30000.
  timeoutMs: 10_000,
  // Retry policy. Defaults: { limit: 2, initialDelayMs: 500, maxDelayMs: 8000, maxRetryAfterMs: 60000 }.
  // `retry: false` sends every request once.
  retry: { limit: 5, initialDelayMs: 250, maxDelayMs: 4_000, maxRetryAfterMs: 30_000 },
  // Sent with every request. Default {}.
  headers: { "x-team": "billing" },
  // Sent as User-Agent where the runtime allows it. Default: the runtime's own.
  userAgent: "billing-service/2.3",
});
