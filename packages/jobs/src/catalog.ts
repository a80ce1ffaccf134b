import { type ConnectionOptions, Queue } from "bullmq";
import { z } from "zod";

/**
 * The job catalog: job name -> payload schema. A job's id is derived from its payload so that
 * enqueueing the same work twice (an API retry, the worker's sweep) is a no-op while it is queued.
 */
export const ingestJob = z.object({ submissionId: z.string().min(1) });
export type IngestJob = z.infer<typeof ingestJob>;

export const JOBS = {
  ingest: { schema: ingestJob, jobId: (p: IngestJob) => `ingest-${p.submissionId}` },
} as const;
export type JobName = keyof typeof JOBS;

/** Queue names carry an optional prefix so tests and deployments can share one Redis. */
export function queueName(name: JobName, prefix = ""): string {
  return prefix ? `${prefix}-${name}` : name;
}

export function createQueue(name: JobName, connection: ConnectionOptions, prefix = ""): Queue {
  return new Queue(queueName(name, prefix), {
    connection,
    defaultJobOptions: {
      attempts: 3,
      backoff: { type: "exponential", delay: 2_000 },
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 5000 },
    },
  });
}
