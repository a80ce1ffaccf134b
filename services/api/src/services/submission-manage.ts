import type { Db } from "@mmiohub/db";

/**
 * Changes an owner or maintainer may make. A new description also refreshes the free-text search
 * column of the submission's traces (description, then marker texts, as ingest writes it).
 */
export async function updateSubmission(
  db: Db,
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
}

/** Withdrawn submissions leave search and public pages; the first withdrawal time is kept. */
export async function withdrawSubmission(db: Db, id: string): Promise<void> {
  await db.submission.updateMany({ where: { id, withdrawnAt: null }, data: { withdrawnAt: new Date() } });
}
