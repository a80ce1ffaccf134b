import type { Db } from "./client";

/**
 * Marks finished submissions for another run of ingest: a done one becomes `reprocessing` (its
 * traces stay on show until the new result replaces them), a failed one `received` (nothing to
 * show, it starts over); attempts and reasons are cleared. Submissions being ingested are left
 * alone. Returns how many were marked. The API's reprocess route and button and the worker's
 * reprocess command all go through here.
 */
export async function markForReprocessing(db: Db, ids: string[]): Promise<number> {
  const done = await db.submission.updateMany({
    where: { id: { in: ids }, status: "done" },
    data: { status: "reprocessing", attempts: 0, reasonCode: null, reason: null },
  });
  const failed = await db.submission.updateMany({
    where: { id: { in: ids }, status: "failed" },
    data: { status: "received", attempts: 0, reasonCode: null, reason: null, finishedAt: null },
  });
  return done.count + failed.count;
}
