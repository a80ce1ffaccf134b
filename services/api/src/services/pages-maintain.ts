import type { Db } from "@mmiohub/db";

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
