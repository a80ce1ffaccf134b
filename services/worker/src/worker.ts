import { type IngestJob, JOBS, queueName, redisConnection } from "@mmiohub/jobs";
import { type Job, UnrecoverableError, WaitingError, Worker } from "bullmq";
import { IngestError, RunStopped } from "./ingest/errors";
import { type IngestDeps, type IngestRun, ingestSubmission, markFailed } from "./ingest/pipeline";

/** A run under way, with its hand-back once one began (a stopped run waits for it). */
type Running = IngestRun & { handBack?: Promise<void> };

/**
 * The BullMQ worker for ingest jobs. Faults of the archive fail the submission at once with their
 * stored reason (UnrecoverableError: no retry); anything else is retried, and after the last
 * attempt the submission fails with an INTERNAL reason rather than staying "processing" forever.
 * `handBackRunning` gives the jobs this process is running back to the queue (a shutdown out of
 * time).
 */
export function createIngestWorker(
  deps: IngestDeps,
  options: { concurrency?: number; prefix?: string } = {},
) {
  const running = new Map<Job<IngestJob>, Running>();
  const processor = async (job: Job<IngestJob>) => {
    const { submissionId } = JOBS.ingest.schema.parse(job.data);
    const log = deps.log.child({ submissionId, jobId: job.id, attempt: job.attemptsMade + 1 });
    log.info("ingest started");
    const run: Running = { stopping: false };
    running.set(job, run);
    try {
      const outcome = await ingestSubmission({ ...deps, log }, submissionId, run);
      log.info({ outcome }, "ingest finished");
      return outcome;
    } catch (err) {
      if (run.stopping) {
        // Handed back (stopped before it counted: RunStopped; or failing as the process closes its
        // connections under it): the job is the queue's again, and the next run decides the
        // submission's fate, not this one. Ended before the hand-back moved the job, the run would
        // fail the job while it still holds the lock. WaitingError tells BullMQ the job was moved
        // to the queue, so it leaves it there.
        await run.handBack?.catch(() => {});
        log.info({ err: err instanceof RunStopped ? undefined : err }, "ingest stopped: handed back");
        throw new WaitingError((err as Error).message);
      }
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
    } finally {
      running.delete(job);
    }
  };

  /**
   * Gives a running job back to the queue at once (another worker starts it without waiting for
   * the lock to expire). The interrupted run does not count as an attempt: it was stopped, not
   * crashed. A run that has not counted yet never will; one whose count is being written is
   * uncounted once that write is done. Should the run still commit meanwhile, the next one finds
   * the submission done (saveTraces).
   */
  function handBack(job: Job<IngestJob>, run: Running): Promise<void> {
    run.stopping = true;
    run.handBack = moveBack(job, run);
    return run.handBack;
  }

  async function moveBack(job: Job<IngestJob>, run: IngestRun): Promise<void> {
    const { submissionId } = JOBS.ingest.schema.parse(job.data);
    const counted = await run.counted?.then(
      () => true,
      () => false,
    );
    if (counted)
      await deps.prisma.submission.updateMany({
        where: { id: submissionId, status: { in: ["processing", "reprocessing"] }, attempts: { gt: 0 } },
        data: { attempts: { decrement: 1 } },
      });
    try {
      await job.moveToWait(job.token);
    } catch (err) {
      // The run ended meanwhile (completed, or failed to be retried): nothing to hand back.
      const state = await job.getState().catch(() => "unknown");
      if (state === "active" || state === "unknown") throw err;
      deps.log.info({ submissionId, jobId: job.id, state }, "shutdown: the job ended before its hand-back");
      return;
    }
    deps.log.info(
      { submissionId, jobId: job.id, counted: counted ?? false },
      "shutdown: job handed back to the queue",
    );
  }

  const worker = new Worker<IngestJob>(queueName("ingest", options.prefix), processor, {
    connection: redisConnection(deps.config.REDIS_URL, "worker"),
    concurrency: options.concurrency ?? deps.config.WORKER_CONCURRENCY,
    // A crashed worker's job goes back to the queue once its lock expires (checked as often).
    lockDuration: deps.config.JOB_LOCK_MS,
    stalledInterval: deps.config.JOB_LOCK_MS,
    maxStalledCount: Math.max(1, deps.config.MAX_ATTEMPTS - 1),
  });
  worker.on("error", (err) => deps.log.warn({ err }, "worker connection problem"));
  return {
    worker,
    /** How many jobs this process is running. */
    get runningCount() {
      return running.size;
    },
    /** Hands every running job back to the queue; a rejected result is a job left to its lock. */
    handBackRunning: () => Promise.allSettled([...running].map(([job, run]) => handBack(job, run))),
  };
}
