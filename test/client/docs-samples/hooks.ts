import ky from "ky";
import { createClient } from "async-jobs";

declare const auth: { accessToken(): Promise<string>; refresh(): Promise<void> };

export const client = createClient({
  baseUrl: "https://jobs.example.com",
  hooks: {
    // Auth: a fresh token on every attempt, retries included.
    beforeRequest: [async (request) => request.headers.set("authorization", `Bearer ${await auth.accessToken()}`)],
    afterResponse: [
      // Auth refresh: on a first 401, refresh and send again (within the call's retry budget).
      async (_request, _options, response, { retryCount }) => {
        if (response.status !== 401 || retryCount > 0) return;
        await auth.refresh();
        return ky.retry();
      },
      // Logging: one line per answer, with the server's request id.
      (request, _options, response) =>
        console.log(request.method, request.url, response.status, response.headers.get("x-request-id")),
    ],
    // Logging: each retry the policy decided on (after its wait).
    beforeRetry: [({ request, retryCount, error }) => console.warn(`retry ${retryCount}: ${request.method} ${request.url} (${error.message})`)],
  },
});
