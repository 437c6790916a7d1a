// The example page: upload with a progress bar, then the import job with its own, cancelable.
import { createClient, isJobCanceledError, isJobFailedError } from "async-jobs";

type CsvJobTypes = {
  "csv.import": {
    input: { upload_id: string; max_errors?: number };
    result: { rows: number; imported: number; rejected: number; total_amount: string; columns: string[]; errors: { row: number; message: string }[] };
  };
};

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const token = document.querySelector<HTMLMetaElement>('meta[name="async-jobs-token"]')!.content;
const client = createClient<CsvJobTypes>({ baseUrl: `${location.origin}/api`, token });

$<HTMLInputElement>("file").addEventListener("change", async (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (!file) return;
  const status = $("status");
  const result = $<HTMLPreElement>("result");
  const cancel = $<HTMLButtonElement>("cancel");
  result.hidden = true;
  try {
    status.textContent = "Uploading…";
    const upload = await client.uploads.upload(file, {
      onProgress: (p) => {
        $<HTMLProgressElement>("upload-progress").value = Math.floor((100 * p.loadedBytes) / Math.max(1, p.totalBytes));
        $("upload-text").textContent = `${p.loadedBytes} of ${p.totalBytes} bytes`;
      },
    });
    status.textContent = "Importing…";
    const { job } = await client.jobs.submit({ type: "csv.import", input: { upload_id: upload.id } });
    cancel.hidden = false;
    cancel.onclick = () => void client.jobs.cancel(job.id);
    const done = await client.jobs.wait<"csv.import">(job.id, {
      onProgress: (j) => {
        $<HTMLProgressElement>("job-progress").value = j.progress?.percent ?? 0;
        $("job-text").textContent = j.progress?.message ?? j.status;
      },
    });
    $<HTMLProgressElement>("job-progress").value = 100;
    status.textContent = `Imported ${done.result.imported} of ${done.result.rows} rows.`;
    result.textContent = JSON.stringify(done.result, null, 2);
    result.hidden = false;
  } catch (error) {
    if (isJobCanceledError(error)) status.textContent = "Import canceled.";
    else if (isJobFailedError(error)) status.textContent = `Import failed: ${error.problem.code}: ${error.problem.detail}`;
    else status.textContent = `Error: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    cancel.hidden = true;
  }
});
