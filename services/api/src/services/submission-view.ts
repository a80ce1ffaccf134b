import type { Db, Submission } from "@mmiohub/db";
import type { SubmissionView } from "../schemas/submission";
import type { SubmissionAccess } from "./submission-access";

const hex4 = (n: number) => n.toString(16).padStart(4, "0");

export function loadSubmission(db: Db, id: string) {
  return db.submission.findUnique({
    where: { id },
    include: {
      traces: { include: { devices: { orderBy: { position: "asc" } } }, orderBy: { member: "asc" } },
    },
  });
}
type LoadedSubmission = NonNullable<Awaited<ReturnType<typeof loadSubmission>>>;

/**
 * What a requester may read of a submission. Protected fields (contact email, hostname, metadata
 * keys the uploader marked private) are added for maintainers only, and only under `protected`.
 */
export function submissionView(
  s: LoadedSubmission,
  access: SubmissionAccess,
  urlOf: (id: string) => string,
): SubmissionView {
  return {
    id: s.id,
    status: s.status,
    ...(s.reasonCode ? { reasonCode: s.reasonCode } : {}),
    ...(s.reason ? { reason: s.reason } : {}),
    archiveName: s.archiveName,
    archiveSize: Number(s.archiveSize),
    archiveSha256: s.archiveSha256,
    description: s.description,
    metadata: publicMetadata(s),
    kernel: s.kernel,
    driver: { name: s.driverName, version: s.driverVersion },
    hidden: s.hidden,
    withdrawnAt: s.withdrawnAt?.toISOString() ?? null,
    createdAt: s.createdAt.toISOString(),
    finishedAt: s.finishedAt?.toISOString() ?? null,
    url: urlOf(s.id),
    ...(access === "maintainer"
      ? {
          protected: {
            contactEmail: s.contactEmail,
            hostname: s.hostname,
            privateMetadata: s.privateMetadata as Record<string, unknown>,
          },
        }
      : {}),
    traces: s.traces.map((t) => ({
      id: t.id,
      member: t.member,
      textBytes: Number(t.textBytes),
      lineCount: Number(t.lineCount),
      recordCounts: t.recordCounts as Record<string, number>,
      devices: t.devices.map((d) => ({
        position: d.position,
        busDevfn: d.busDevfn,
        vendorId: hex4(d.vendorId),
        deviceId: hex4(d.deviceId),
        pciId: `${hex4(d.vendorId)}:${hex4(d.deviceId)}`,
        irq: d.irq,
        driver: d.driver,
      })),
    })),
  };
}

/** `metadata` never holds private keys (they are split off on upload); this is a second fence. */
function publicMetadata(s: Pick<Submission, "metadata" | "privateMetadata">): Record<string, unknown> {
  const meta = { ...(s.metadata as Record<string, unknown>) };
  for (const key of Object.keys(s.privateMetadata as object)) delete meta[key];
  delete meta.hostname;
  delete meta.private;
  return meta;
}

/**
 * The public view, or null when there is no such submission or it is hidden or withdrawn (for the
 * public those do not exist). Pages use this; the API answers owners and maintainers through
 * `submissionView` with their access.
 */
export async function loadSubmissionView(
  db: Db,
  id: string,
  urlOf: (id: string) => string,
): Promise<SubmissionView | null> {
  const s = await loadSubmission(db, id);
  if (!s || s.hidden || s.withdrawnAt) return null;
  return submissionView(s, "public", urlOf);
}
