import type { Queue } from "bullmq";
import { JOBS } from "./catalog";

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
    const state = await job.getState();
    if (state === "waiting" || state === "active" || state === "delayed" || state === "prioritized")
      return false;
    await job.remove().catch(() => {});
  }
  await queue.add("ingest", payload, { jobId });
  return true;
}
