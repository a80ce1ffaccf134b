import type { Db } from "@mmiohub/db";

/**
 * What the public submission page shows: status, archive, description and its traces. Only public
 * columns are selected, so a protected field cannot reach the page by accident.
 */
export async function loadSubmissionPage(db: Db, id: string, includeHidden = false) {
  const s = await db.submission.findUnique({
    where: { id },
    select: {
      id: true,
      status: true,
      reasonCode: true,
      reason: true,
      archiveName: true,
      archiveSize: true,
      archiveSha256: true,
      description: true,
      createdAt: true,
      hidden: true,
      withdrawnAt: true,
      traces: {
        orderBy: { member: "asc" },
        select: {
          id: true,
          member: true,
          lineCount: true,
          devices: { orderBy: { position: "asc" }, select: { vendorId: true, deviceId: true, driver: true } },
        },
      },
    },
  });
  if (!s || (!includeHidden && (s.hidden || s.withdrawnAt))) return null;
  return s;
}
export type SubmissionPageData = NonNullable<Awaited<ReturnType<typeof loadSubmissionPage>>>;
