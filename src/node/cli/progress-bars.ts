import { SingleBar } from "cli-progress";
import type { Job } from "../../types.ts";
import { formatBytes, formatProgressMessage } from "./byte-units.ts";

/** Where and how bars draw. */
export interface BarOptions {
  /** The stream to draw on (stderr keeps stdout clean for `--json`). */
  stream: NodeJS.WriteStream;
  /** Draw at all (off for `--json`). @default true */
  enabled?: boolean;
  /** Without a terminal, print a plain line every `noTtyIntervalMs` instead of nothing. @default false */
  noTtyOutput?: boolean;
  /** @default 1000 */
  noTtyIntervalMs?: number;
}

/** A bar that can be updated and stopped; a no-op when disabled. */
export interface ProgressBar<T> {
  update(value: T): void;
  stop(): void;
}

function createBar(format: string, options: BarOptions): SingleBar | undefined {
  if (options.enabled === false) return undefined;
  return new SingleBar({
    format,
    stream: options.stream,
    hideCursor: true,
    barsize: 30,
    // Redraws are throttled by the library; a bar must not slow the transfer it reports.
    fps: 10,
    noTTYOutput: options.noTtyOutput ?? false,
    notTTYSchedule: options.noTtyIntervalMs ?? 1000,
    barCompleteChar: "█",
    barIncompleteChar: "░",
  });
}

/**
 * A transfer bar: bytes, MiB/s and ETA (uploads and downloads), in binary units (byte-units.ts).
 *
 * @example
 * const bar = createTransferBar("upload", file.size, { stream: process.stderr });
 * await uploadFile(client, path, { onProgress: (p) => bar.update(p.loadedBytes) });
 * bar.stop();
 */
export function createTransferBar(label: string, totalBytes: number, options: BarOptions): ProgressBar<number> {
  const bar = createBar(`${label} |{bar}| {percentage}% | {done} / {total} | {speed}/s | ETA {eta_text}`, options);
  const started = performance.now();
  const payload = (loaded: number) => {
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? loaded / seconds : 0;
    const eta = rate > 0 ? Math.max(0, (totalBytes - loaded) / rate) : NaN;
    return {
      done: formatBytes(loaded),
      total: formatBytes(totalBytes),
      speed: formatBytes(Math.round(rate)),
      eta_text: Number.isFinite(eta) ? `${eta.toFixed(1)}s` : "--",
    };
  };
  bar?.start(Math.max(1, totalBytes), 0, payload(0));
  return {
    update: (loaded) => bar?.update(loaded, payload(loaded)),
    stop: () => {
      bar?.stop();
    },
  };
}

/**
 * A job bar: percent, status and the job's progress message.
 *
 * @example
 * const bar = createJobBar("file.gzip", { stream: process.stderr });
 * await client.jobs.submitAndWait(req, { onProgress: (job) => bar.update(job) });
 * bar.stop();
 */
export function createJobBar(label: string, options: BarOptions): ProgressBar<Job> {
  const bar = createBar(`${label} |{bar}| {percentage}% | {status} {message}`, options);
  bar?.start(100, 0, { status: "waiting", message: "" });
  return {
    update: (job) => {
      const percent = job.status === "succeeded" ? 100 : (job.progress?.percent ?? 0);
      bar?.update(percent, { status: job.status, message: formatProgressMessage(job.progress?.message ?? "") });
    },
    stop: () => {
      bar?.stop();
    },
  };
}
