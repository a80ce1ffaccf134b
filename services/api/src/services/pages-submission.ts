import type { Db } from "@mmiohub/db";
import { requirePublic } from "./submission-access";

/**
 * What the public submission page shows: status, archive, description and its traces. Only public
 * columns are selected, so a protected field cannot reach the page by accident. Null when there is
 * none; unless `includeHidden` (maintainers), a hidden one is a 404 and a withdrawn one a 410.
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
  if (!s) return null;
  if (!includeHidden) requirePublic(s, `submission ${id}`);
  return s;
}
export type SubmissionPageData = NonNullable<Awaited<ReturnType<typeof loadSubmissionPage>>>;
