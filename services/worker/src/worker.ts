import { type IngestJob, JOBS, queueName, redisConnection } from "@mmiohub/jobs";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import { IngestError } from "./ingest/errors";
import { type IngestDeps, ingestSubmission, markFailed } from "./ingest/pipeline";

/**
 * The BullMQ worker for ingest jobs. Faults of the archive fail the submission at once with their
 * stored reason (UnrecoverableError: no retry); anything else is retried, and after the last
 * attempt the submission fails with an INTERNAL reason rather than staying "processing" forever.
 */
export function createIngestWorker(
  deps: IngestDeps,
  options: { concurrency?: number; prefix?: string } = {},
) {
  const processor = async (job: Job<IngestJob>) => {
    const { submissionId } = JOBS.ingest.schema.parse(job.data);
    const log = deps.log.child({ submissionId, jobId: job.id, attempt: job.attemptsMade + 1 });
    log.info("ingest started");
    try {
      const outcome = await ingestSubmission({ ...deps, log }, submissionId);
      log.info({ outcome }, "ingest finished");
      return outcome;
    } catch (err) {
      if (err instanceof IngestError) {
        log.info({ code: err.code, reason: err.message }, "submission rejected");
        await markFailed(deps.prisma, submissionId, err.code, err.message);
        throw new UnrecoverableError(`${err.code}: ${err.message}`);
      }
      const attempts = job.opts.attempts ?? 1;
      if (job.attemptsMade + 1 >= attempts) {
        await markFailed(
          deps.prisma,
          submissionId,
          "INTERNAL",
          `processing failed ${attempts} times: ${(err as Error).message}`,
        );
      }
      log.error({ err }, "ingest failed");
      throw err;
    }
  };
  const worker = new Worker<IngestJob>(queueName("ingest", options.prefix), processor, {
    connection: redisConnection(deps.config.REDIS_URL, "worker"),
    concurrency: options.concurrency ?? deps.config.WORKER_CONCURRENCY,
    // A crashed worker's job goes back to the queue once its lock expires (checked as often).
    lockDuration: deps.config.JOB_LOCK_MS,
    stalledInterval: deps.config.JOB_LOCK_MS,
    maxStalledCount: Math.max(1, deps.config.MAX_ATTEMPTS - 1),
  });
  worker.on("error", (err) => deps.log.warn({ err }, "worker connection problem"));
  return worker;
}
