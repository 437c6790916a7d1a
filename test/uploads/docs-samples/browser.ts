// Compile-checked sample for docs/uploads.md (browser: a File input, progress, cancel, resume
// after a reload).
import { createClient, isApiError } from "async-jobs";
import { uploadFile } from "async-jobs/uploads";

declare const token: string;
declare const input: HTMLInputElement;
declare const bar: HTMLProgressElement;
declare const cancelButton: HTMLButtonElement;

// #region doc
const client = createClient({ baseUrl: "https://jobs.example.com", token });

async function send(file: File) {
  const controller = new AbortController();
  cancelButton.onclick = () => controller.abort();
  // One key per file: a reload finds the pending upload and finishes it.
  const key = `upload:${file.name}:${file.size}:${file.lastModified}`;
  try {
    const upload = await uploadFile(client, file, {
      resume: localStorage.getItem(key) ?? undefined,
      onUploadCreated: (u) => localStorage.setItem(key, u.id),
      onProgress: ({ loadedBytes, totalBytes }) => (bar.value = totalBytes ? loadedBytes / totalBytes : 1),
      checksum: true,
      signal: controller.signal,
    });
    localStorage.removeItem(key);
    return upload; // upload.id goes into a job's input
  } catch (error) {
    // An upload that expired or was aborted on the server cannot be resumed: start over.
    if (isApiError(error, "upload_not_pending") || isApiError(error, "not_found")) localStorage.removeItem(key);
    throw error;
  }
}

input.onchange = () => void send(input.files![0]!);
// #endregion
