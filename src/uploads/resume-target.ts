import { AsyncJobsError, isApiError } from "../errors.ts";
import type { Upload } from "../types.ts";
import { sourceFingerprint } from "./fingerprint.ts";
import type { PartSource } from "./part-source.ts";
import { defaultResumeStore, resumeKey, type UploadResumeStore } from "./resume-store.ts";
import type { CreateSha256 } from "./sha256-stream.ts";
import type { UploadApi } from "./upload-api.ts";
import { createUploadHandle, parseUploadHandleState, type UploadHandleState } from "./upload-handle.ts";

/** What `uploadFile` continues, and how it keeps the resume store current. */
export interface ResumeTarget {
  /** The upload to continue (pending or already completed); `undefined`: create one. */
  upload: Upload | undefined;
  fingerprint: string | null;
  /** Records a created upload under the source's key (`resume: "auto"` only). */
  remember(upload: Upload): Promise<void>;
  /** Drops the source's entry once its upload completed (`resume: "auto"` only). */
  forget(): Promise<void>;
}

const nothing = async () => {};

/**
 * Finds the upload to continue (spec §4.4): by id, by a handle's state (same server, same
 * source), or with `"auto"` by the source's fingerprint in the resume store, confirmed with the
 * server. An entry whose upload is gone, ended, expired or of another size is dropped, and a
 * new upload is made instead. The pending-uploads listing (spec §8.4) is not searched: the same
 * name and size may be another file, and its parts would be grafted onto this one.
 *
 * @example
 * const target = await findResumeTarget({ api, baseUrl, source, resume: "auto", createSha256 })
 */
export async function findResumeTarget(init: {
  api: UploadApi;
  baseUrl: string;
  source: PartSource;
  resume: string | UploadHandleState | undefined;
  store?: UploadResumeStore | undefined;
  fingerprint?: string | undefined;
  sample: boolean;
  createSha256: CreateSha256;
  signal: AbortSignal;
}): Promise<ResumeTarget> {
  const { api, baseUrl, source, resume, signal } = init;
  if (resume === undefined || resume === "") return { upload: undefined, fingerprint: null, remember: nothing, forget: nothing };
  if (typeof resume === "string" && resume !== "auto") {
    return { upload: await api.get(resume, signal), fingerprint: null, remember: nothing, forget: nothing };
  }
  if (typeof resume === "object") {
    const state = parseUploadHandleState(resume);
    if (!sameServer(state.baseUrl, baseUrl)) {
      throw new AsyncJobsError(`Upload ${state.uploadId} was made on ${state.baseUrl}, not on this client's ${baseUrl}`);
    }
    if (state.fingerprint !== null) {
      const sample = state.fingerprint.includes("sample:v1:");
      const now = init.fingerprint ?? (await sourceFingerprint(source, { sample, createSha256: init.createSha256, signal }));
      if (now !== undefined && now !== state.fingerprint) {
        throw new AsyncJobsError(`The source is not the one upload ${state.uploadId} was started from (its fingerprint differs)`);
      }
    }
    return { upload: await api.get(state.uploadId, signal), fingerprint: state.fingerprint, remember: nothing, forget: nothing };
  }

  const fingerprint = init.fingerprint ?? (await sourceFingerprint(source, { sample: init.sample, createSha256: init.createSha256, signal }));
  if (fingerprint === undefined) throw new TypeError('resume: "auto" needs options.fingerprint for a stream (it cannot be read twice)');
  const store = init.store ?? defaultResumeStore();
  const key = resumeKey(baseUrl, fingerprint);
  const forget = async () => void (await store.delete(key));
  const saved = await store.get(key);
  const upload = saved ? await confirm(api, saved.uploadId, source.size, signal) : undefined;
  if (saved && !upload) await forget();
  return {
    upload,
    fingerprint,
    remember: async (created) => void (await store.set(key, createUploadHandle({ baseUrl, upload: created, fingerprint, etags: new Map() }).toJSON())),
    forget,
  };
}

/** The saved upload if the server still has it pending (or completed) with the source's size. */
async function confirm(api: UploadApi, id: string, size: number, signal: AbortSignal): Promise<Upload | undefined> {
  let upload: Upload;
  try {
    upload = await api.get(id, signal);
  } catch (error) {
    // Deleted after its retention, or another tenant's (spec §4.9, §1.3): start afresh.
    if (isApiError(error, "not_found")) return undefined;
    throw error;
  }
  const usable = upload.status === "pending" || upload.status === "completed";
  return usable && upload.size === size ? upload : undefined;
}

function sameServer(a: string, b: string): boolean {
  return a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
}
