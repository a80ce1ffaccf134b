import type { Db } from "@mmiohub/db";
import type { SubmissionView } from "../schemas/submission";

const hex4 = (n: number) => n.toString(16).padStart(4, "0");

/** The public view of a submission (no protected fields), or null when there is none. */
export async function loadSubmissionView(
  db: Db,
  id: string,
  urlOf: (id: string) => string,
): Promise<SubmissionView | null> {
  const s = await db.submission.findUnique({
    where: { id },
    include: {
      traces: { include: { devices: { orderBy: { position: "asc" } } }, orderBy: { member: "asc" } },
    },
  });
  if (!s) return null;
  return {
    id: s.id,
    status: s.status,
    ...(s.reasonCode ? { reasonCode: s.reasonCode } : {}),
    ...(s.reason ? { reason: s.reason } : {}),
    archiveName: s.archiveName,
    archiveSize: Number(s.archiveSize),
    archiveSha256: s.archiveSha256,
    description: s.description,
    createdAt: s.createdAt.toISOString(),
    finishedAt: s.finishedAt?.toISOString() ?? null,
    url: urlOf(s.id),
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
