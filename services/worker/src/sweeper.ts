import type { PrismaClient } from "@mmiohub/db";
import { enqueueIngest, ingestPending } from "@mmiohub/jobs";
import type { Queue } from "bullmq";
import type { Logger } from "pino";
import { markFailed } from "./ingest/pipeline";

/**
 * The database is the source of truth, Redis keeps nothing on disk: submissions accepted but not
 * finished are (re-)enqueued. At start-up every unfinished submission is checked; afterwards those
 * without progress for `staleAfterMs`. A submission that used up its attempts (it kept killing
 * workers) fails for good instead of looping.
 */
export async function sweep(
  prisma: PrismaClient,
  queue: Queue,
  log: Logger,
  options: { staleAfterMs: number; maxAttempts: number },
): Promise<number> {
  const cutoff = new Date(Date.now() - options.staleAfterMs);
  const pending = await prisma.submission.findMany({
    where: { status: { in: ["received", "processing", "reprocessing"] }, updatedAt: { lte: cutoff } },
    select: { id: true, attempts: true },
    orderBy: { createdAt: "asc" },
    take: 1000,
  });
  let enqueued = 0;
  for (const s of pending) {
    if (s.attempts >= options.maxAttempts) {
      // Used up, unless a job of it is still to run (it may yet finish).
      if (!(await ingestPending(queue, s.id)))
        await markFailed(
          prisma,
          s.id,
          "INTERNAL",
          `gave up after ${s.attempts} attempts: processing never completed`,
        );
      continue;
    }
    // Left alone (false) when a job of it is waiting or running.
    if (await enqueueIngest(queue, s.id)) enqueued++;
  }
  if (enqueued) log.info({ enqueued }, "sweep re-enqueued unfinished submissions");
  return enqueued;
}
