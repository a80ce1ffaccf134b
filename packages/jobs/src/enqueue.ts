import type { Queue } from "bullmq";
import { JOBS } from "./catalog";

/** States in which a job will still run, or runs: enqueuing its submission again would be a second. */
const PENDING_STATES = new Set(["waiting", "active", "delayed", "prioritized", "waiting-children"]);

/** True while the submission's ingest job is waiting or running (one question to Redis). */
export async function ingestPending(queue: Queue, submissionId: string): Promise<boolean> {
  const job = await queue.getJob(JOBS.ingest.jobId({ submissionId }));
  return job ? PENDING_STATES.has(await job.getState()) : false;
}

/**
 * Enqueues (again) the ingest of a submission. A finished job of the same id still in Redis would
 * make `add` a no-op, so it is removed first; a waiting or running one is left alone (false).
 * The one way the API (uploads, reprocess), the worker's sweep and its reprocess command enqueue.
 */
export async function enqueueIngest(queue: Queue, submissionId: string): Promise<boolean> {
  const payload = { submissionId };
  const jobId = JOBS.ingest.jobId(payload);
  const job = await queue.getJob(jobId);
  if (job) {
    if (PENDING_STATES.has(await job.getState())) return false;
    await job.remove().catch(() => {});
  }
  await queue.add("ingest", payload, { jobId });
  return true;
}

/**
 * Enqueues the ingest of a submission just created: no job of its id can exist yet, so nothing
 * is looked up first (one Redis round trip, where enqueueIngest takes three).
 */
export async function enqueueNewIngest(queue: Queue, submissionId: string): Promise<void> {
  const payload = { submissionId };
  await queue.add("ingest", payload, { jobId: JOBS.ingest.jobId(payload) });
}
