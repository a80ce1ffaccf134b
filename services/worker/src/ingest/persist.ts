import { randomBytes } from "node:crypto";
import type { Db } from "@mmiohub/db";
import type { FoundTrace } from "./pipeline";

const newTraceId = () =>
  randomBytes(8).toString("base64url").replace(/[-_]/g, "x").toLowerCase().slice(0, 10);

/**
 * Replaces the submission's traces with the new result and marks it done, in one transaction, so a
 * retry after a crash leaves exactly the rows of a clean run. A trace keeps its id across runs
 * (matched by member name), so permanent links survive reprocessing.
 */
export async function saveTraces(
  tx: Db,
  submissionId: string,
  traces: FoundTrace[],
  side: { description?: string; metadata?: string },
): Promise<void> {
  const previous = await tx.trace.findMany({ where: { submissionId }, select: { id: true, member: true } });
  const idOf = new Map(previous.map((t) => [t.member, t.id]));
  await tx.trace.deleteMany({ where: { submissionId } });
  for (const t of traces) {
    const id = idOf.get(t.member) ?? newTraceId();
    await tx.trace.create({
      data: {
        id,
        submissionId,
        member: t.member,
        textBytes: BigInt(t.textBytes),
        lineCount: BigInt(t.lineCount),
        recordCounts: t.recordCounts,
        devices: {
          create: t.devices.map((d) => ({
            position: d.position,
            busDevfn: d.busDevfn,
            vendorId: d.vendorId,
            deviceId: d.deviceId,
            irq: d.irq,
            driver: d.driver,
            bars: d.bars,
          })),
        },
      },
    });
  }
  const submission = await tx.submission.findUniqueOrThrow({
    where: { id: submissionId },
    select: { description: true },
  });
  await tx.submission.update({
    where: { id: submissionId },
    data: {
      status: "done",
      reasonCode: null,
      reason: null,
      finishedAt: new Date(),
      // The archive's description.txt fills in when the upload form left it empty.
      ...(submission.description == null && side.description ? { description: side.description } : {}),
    },
  });
}
