import { commonEnv, parseEnv } from "@mmiohub/config";
import { storageEnv } from "@mmiohub/storage";
import { z } from "zod";
import { DEFAULT_BLOCK_EVENTS, DEFAULT_CHECKPOINT_INTERVAL } from "./index-trace/defaults";

const GiB = 1024 ** 3;
const int = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const workerEnvSchema = z.object({
  ...commonEnv,
  ...storageEnv,
  QUEUE_PREFIX: z.string().default(""),
  WORKER_CONCURRENCY: int(1),
  /** Largest decompressed trace accepted. */
  MAX_TRACE_BYTES: int(64 * GiB),
  /** Decompressed/compressed ratio above which an archive is treated as a bomb (real traces: 6-20). */
  MAX_EXPANSION_RATIO: int(200),
  /** The ratio check starts after this many decompressed bytes, so tiny archives are not flagged. */
  EXPANSION_CHECK_AFTER_BYTES: int(64 * 1024 * 1024),
  MAX_ARCHIVE_MEMBERS: int(1000),
  MAX_LINE_BYTES: int(64 * 1024),
  /** Attempts before a submission that keeps crashing the pipeline is failed for good. */
  MAX_ATTEMPTS: int(3),
  SWEEP_INTERVAL_MS: int(30_000),
  /**
   * How long a job's lock lives without renewal: a worker that died (SIGKILL, OOM) gives its job
   * back after this long. Renewed every half of it while the job runs.
   */
  JOB_LOCK_MS: int(60_000),
  /** envytools' rnndb folder, for the annotator checkpoints of NVIDIA cards (none when unset). */
  MMIOHUB_RNNDB: z.string().optional(),
  /** Debian's PCI id database, for card names. */
  PCI_IDS_PATH: z.string().default("/usr/share/misc/pci.ids"),
  /** Events per event-store block (the unit the API reads). */
  EVENT_BLOCK_EVENTS: int(DEFAULT_BLOCK_EVENTS),
  /** Events between annotator checkpoints (a multiple of EVENT_BLOCK_EVENTS). */
  CHECKPOINT_INTERVAL: int(DEFAULT_CHECKPOINT_INTERVAL),
  /** Other archive members are kept as attachments up to this size each (larger ones are listed only). */
  MAX_ATTACHMENT_BYTES: int(16 * 1024 * 1024),
  /** A submission not finished after this long without progress is enqueued again. */
  STALE_AFTER_MS: int(10 * 60_000),
  /** Unreferenced blobs (left by a process that died mid-write) older than this are deleted. */
  BLOB_GC_GRACE_MS: int(60 * 60_000),
  BLOB_GC_INTERVAL_MS: int(10 * 60_000),
  /** On SIGTERM, running jobs get this long to finish; then they are handed back to the queue. */
  SHUTDOWN_GRACE_MS: int(25_000),
});
export type WorkerConfig = z.infer<typeof workerEnvSchema>;

export function loadWorkerEnv(source: Record<string, string | undefined> = process.env): WorkerConfig {
  return parseEnv(workerEnvSchema, source);
}
