import { expect, inject, it } from "vitest";
import { createClient, type Job } from "async-jobs";
import { uploadFile } from "async-jobs/uploads";
import type { BrowserSession, SeenRequest } from "./browser/token-backend.ts";

// In headless Chromium, the pattern of spec §8.3: the page gets only a job token and an upload
// token from its backend, watches two jobs over one stream with watchMany while an upload runs,
// and the tenant token never reaches the browser.
const { url } = inject("tokenBackend");

it("watches two jobs with a job token while uploading with an upload token; only scoped tokens ever leave the page", async () => {
  const session = (await fetch(`${url}/backend/session`, { method: "POST" }).then((r) => r.json())) as BrowserSession;
  const jobs = createClient({ baseUrl: session.apiUrl, token: session.jobToken, retry: { initialDelayMs: 10, maxDelayMs: 50 } });
  const uploads = createClient({ baseUrl: session.apiUrl, token: session.uploadToken, retry: { initialDelayMs: 10, maxDelayMs: 50 } });

  const watched: Job[] = [];
  const watching = (async () => {
    for await (const job of jobs.jobs.watchMany({ ids: session.jobIds })) watched.push(job);
  })();
  const data = new Uint8Array(session.uploadSize);
  crypto.getRandomValues(data.subarray(0, 65_536));
  const file = new File([data], "photo.bin");
  const upload = await uploadFile(uploads, file, { resume: session.uploadId });
  expect(upload).toMatchObject({ id: session.uploadId, status: "completed", size: session.uploadSize, part_count: 4 });
  await watching;

  for (const id of session.jobIds) {
    const states = watched.filter((j) => j.id === id);
    expect(states.at(-1)!.status).toBe("succeeded");
    expect(states.filter((j) => j.status === "succeeded")).toHaveLength(1);
    expect(new Set(states.map((j) => j.progress?.percent ?? 0)).size).toBeGreaterThan(1);
  }
  // The job token does nothing else: not the upload, not submitting.
  await expect(jobs.jobs.submit({ type: "conformance.echo", input: { value: 1 } })).rejects.toMatchObject({ status: 401 });
  await expect(fetch(`${session.apiUrl}/v1/uploads/${session.uploadId}`, { headers: { authorization: `Bearer ${session.jobToken}` } }).then((r) => r.status)).resolves.toBe(404);

  const { requests, leaks } = (await fetch(`${url}/backend/seen`).then((r) => r.json())) as { requests: SeenRequest[]; leaks: number };
  expect(leaks).toBe(0);
  const bearers = new Set(requests.map((r) => r.authorization));
  expect([...bearers].sort()).toEqual([null, `Bearer ${session.jobToken}`, `Bearer ${session.uploadToken}`].sort());
  expect(requests.filter((r) => r.path === "/v1/jobs-stream")).toEqual([{ method: "GET", path: "/v1/jobs-stream", authorization: `Bearer ${session.jobToken}` }]);
  // Part PUTs went through the proxy too (signed URLs, no bearer), so nothing escaped the record.
  expect(requests.filter((r) => r.method === "PUT" && r.authorization === null)).toHaveLength(4);
});
