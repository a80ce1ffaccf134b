import type { Db } from "@mmiohub/db";
import { JOBS } from "@mmiohub/jobs";
import type { Queue } from "bullmq";

/** The protected fields of a submission: for maintainers' eyes only. */
export async function loadProtected(db: Db, id: string) {
  return db.submission.findUnique({
    where: { id },
    select: {
      contactEmail: true,
      hostname: true,
      privateMetadata: true,
      hidden: true,
      withdrawnAt: true,
      status: true,
      notes: true,
    },
  });
}
export type ProtectedFields = NonNullable<Awaited<ReturnType<typeof loadProtected>>>;

/**
 * Runs the pipeline again for one submission, as the worker's reprocess command does: back to
 * `received`, then an ingest job (a finished job of the same id is removed first, or `add` would
 * do nothing). Trace ids are kept by the worker, so permanent links survive.
 */
export async function reprocessSubmission(db: Db, queue: Queue, id: string): Promise<boolean> {
  const changed = await db.submission.updateMany({
    where: { id, status: { in: ["done", "failed"] } },
    data: { status: "received", attempts: 0, reasonCode: null, reason: null, finishedAt: null },
  });
  if (changed.count === 0) return false;
  const payload = { submissionId: id };
  const jobId = JOBS.ingest.jobId(payload);
  const job = await queue.getJob(jobId);
  if (job) {
    const state = await job.getState();
    if (state === "waiting" || state === "active" || state === "delayed" || state === "prioritized")
      return true;
    await job.remove().catch(() => {});
  }
  await queue.add("ingest", payload, { jobId });
  return true;
}
