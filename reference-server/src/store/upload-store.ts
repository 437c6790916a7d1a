import type { StoredPart } from "../blobs/blob-store.ts";

/** Stored states of an upload. A pending upload past `expiresAt` reads as `expired`. */
export type UploadState = "pending" | "completed" | "aborted" | "expired";

/** An upload as the store keeps it. Times are epoch milliseconds. */
export interface UploadRecord {
  id: string;
  tenant: string;
  status: UploadState;
  filename: string;
  contentType: string;
  size: number;
  /** Declared SHA-256 (lowercase hex), verified on complete. */
  sha256: string | null;
  partSize: number;
  partCount: number;
  /** Origin (`http://host:port`) the upload was created through; signed URLs point there. */
  origin: string;
  /** Grows with every stored part, so complete can tell if parts changed while it verified them. */
  version: number;
  createdAt: number;
  expiresAt: number;
  completedAt: number | null;
}

/** One page of a tenant's pending uploads (spec §8.4). */
export interface PendingUploadsQuery {
  tenant: string;
  /** Uploads pending and unexpired at this time (epoch ms). */
  now: number;
  /** Only ids sorting before this one (the cursor). */
  beforeId?: string | undefined;
  limit: number;
}

/** Fields of a new upload (`status` pending, `version` 0). */
export type NewUpload = Omit<UploadRecord, "status" | "version" | "completedAt">;

/**
 * Persistence of uploads and their parts (SQL lives only in `store/`). Every method is
 * atomic on its own; conditions (still pending, not expired, same version) are checked in the
 * same statement or transaction that writes.
 */
export interface UploadStore {
  /** Creates the tables when missing (idempotent, safe from several processes). */
  migrate(): Promise<void>;
  createUpload(upload: NewUpload): Promise<void>;
  /** Any tenant's upload: callers compare `tenant` themselves (404 for other tenants). */
  getUpload(id: string): Promise<UploadRecord | null>;
  /** Stored parts, by number. */
  listParts(id: string): Promise<StoredPart[]>;
  /**
   * Records (or replaces) a part if the upload is pending and not expired at `now`; resolves with
   * the part it replaced (`null` for none), or `"not_pending"`.
   */
  putPart(id: string, part: StoredPart, now: number): Promise<{ replaced: StoredPart | null } | "not_pending">;
  /**
   * pending (and unexpired, same `version`) → completed; `sha256` is the verified checksum or `null`.
   * Resolves `false` when the condition no longer holds.
   */
  completeUpload(id: string, version: number, sha256: string | null, now: number): Promise<boolean>;
  /** pending → aborted; `false` when it was not pending. */
  abortUpload(id: string, now: number): Promise<boolean>;
  /**
   * A tenant's uploads still pending at `now` (unexpired), newest first (by id, which sorts by
   * creation), those before `beforeId` only: one page of the listing (spec §8.4).
   */
  listPending(query: PendingUploadsQuery): Promise<UploadRecord[]>;
  /** Ids of pending uploads whose `expiresAt` ≤ `now`, oldest first. */
  listExpired(now: number, limit: number): Promise<string[]>;
  /** pending (expired at `now`) → expired, dropping its part rows; `false` when it was not. */
  markExpired(id: string, now: number): Promise<boolean>;
  /**
   * Retention: deletes aborted and expired uploads whose `expiresAt` is before `endedBefore`, and
   * completed ones whose `completedAt` is before `completedBefore`; resolves with their ids (the
   * caller deletes their bytes).
   */
  purgeEnded(cutoffs: { endedBefore: number; completedBefore: number }): Promise<string[]>;
  /**
   * The key every API process signs URLs with, created once (first caller wins).
   * `create` makes a fresh random key.
   */
  signingKey(create: () => Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}
