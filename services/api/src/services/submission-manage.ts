import { type Db, markForReprocessing } from "@mmiohub/db";
import { enqueueIngest } from "@mmiohub/jobs";
import type { Queue } from "bullmq";
import { AppError } from "../errors";
import type { ReadCaches } from "./read-caches";

/** Where a change is written, and the read caches of this process, told at once. */
export interface ChangeContext {
  db: Db;
  reads: ReadCaches;
}

/**
 * Changes an owner or maintainer may make. A new description also refreshes the free-text search
 * column of the submission's traces (description, then marker texts, as ingest writes it).
 */
export async function updateSubmission(
  { db, reads }: ChangeContext,
  id: string,
  change: { description?: string | null; hidden?: boolean },
): Promise<void> {
  await db.submission.update({
    where: { id },
    data: {
      ...(change.description !== undefined ? { description: change.description } : {}),
      ...(change.hidden !== undefined ? { hidden: change.hidden } : {}),
    },
  });
  if (change.description !== undefined) {
    await db.$executeRaw`
      UPDATE trace t SET search_text = concat_ws(E'\n', ${change.description}::text,
        (SELECT string_agg(m.text, E'\n' ORDER BY m.seq) FROM trace_marker m
          WHERE m.trace_id = t.id AND m.kind = 'mark'))
      WHERE t.submission_id = ${id}`;
  }
  reads.changed();
}

/** Withdrawn submissions leave search and public pages; the first withdrawal time is kept. */
export async function withdrawSubmission({ db, reads }: ChangeContext, id: string): Promise<void> {
  await db.submission.updateMany({ where: { id, withdrawnAt: null }, data: { withdrawnAt: new Date() } });
  reads.changed();
}

/**
 * Runs ingest again for one finished submission (after a parser or register database update), as
 * the worker's `reprocess` command does: `reprocessing` (a failed one `received`), then a fresh job. Trace ids are kept
 * by the worker, so permanent links survive. The one implementation behind the API's
 * `POST .../reprocess` and the maintainers' page button: a submission still being ingested is left
 * alone and answers SUBMISSION_BUSY (409) in both.
 */
export async function reprocessSubmission(
  { db, reads }: ChangeContext,
  queue: Queue,
  id: string,
): Promise<void> {
  if ((await markForReprocessing(db, [id])) === 0) {
    const s = await db.submission.findUnique({ where: { id }, select: { status: true } });
    if (!s) throw new AppError("NOT_FOUND", `no submission ${id}`);
    throw new AppError("SUBMISSION_BUSY", `submission ${id} is ${s.status}: it is being ingested now`);
  }
  reads.changed();
  // If Redis is down the worker's sweep enqueues it later: the row says what to do.
  await enqueueIngest(queue, id).catch(() => {});
}
