import { markForReprocessing, type Prisma, type PrismaClient } from "@mmiohub/db";
import { enqueueIngest } from "@mmiohub/jobs";
import type { Queue } from "bullmq";

/** Which submissions to run through the pipeline again. Criteria combine with AND. */
export interface ReprocessFilter {
  ids?: string[];
  /** Everything (required when no other criterion is given, so an empty filter is never "all"). */
  all?: boolean;
  status?: ("done" | "failed")[];
  /** Submissions with a card of this code name / family / PCI id ("10de:0fc6"). */
  codeName?: string;
  family?: string;
  pciId?: string;
  /** Submissions with a trace read by another parser version than this one. */
  parserOtherThan?: string;
  /** Submissions with a trace annotated against another rnndb version than this one (or none). */
  rnndbOtherThan?: string;
  createdAfter?: Date;
  createdBefore?: Date;
}

export function reprocessWhere(f: ReprocessFilter): Prisma.SubmissionWhereInput {
  const and: Prisma.SubmissionWhereInput[] = [];
  if (f.ids?.length) and.push({ id: { in: f.ids } });
  if (f.status?.length) and.push({ status: { in: f.status } });
  const card: Prisma.TraceCardWhereInput = {};
  if (f.codeName) card.codeName = { equals: f.codeName, mode: "insensitive" };
  if (f.family) card.family = { equals: f.family, mode: "insensitive" };
  if (f.pciId) {
    const [v, d] = f.pciId.split(":").map((x) => Number.parseInt(x, 16));
    card.vendorId = v!;
    card.deviceId = d!;
  }
  if (Object.keys(card).length) and.push({ traces: { some: { cards: { some: card } } } });
  if (f.parserOtherThan) and.push({ traces: { some: { parserVersion: { not: f.parserOtherThan } } } });
  if (f.rnndbOtherThan)
    and.push({
      traces: { some: { OR: [{ rnndbVersion: { not: f.rnndbOtherThan } }, { rnndbVersion: null }] } },
    });
  if (f.createdAfter) and.push({ createdAt: { gte: f.createdAfter } });
  if (f.createdBefore) and.push({ createdAt: { lt: f.createdBefore } });
  if (and.length === 0 && !f.all) throw new Error("no criterion given: pass ids, a filter, or all");
  // Submissions being ingested right now are left alone: they will end with the current code.
  and.push({ status: { in: ["done", "failed"] } });
  return { AND: and };
}

/**
 * Runs the pipeline again for the matching submissions (after a register database or parser
 * improvement): a done one becomes `reprocessing` (a failed one `received`) and is enqueued. The
 * raw archive is never touched; the previous traces stay visible (and the status says
 * reprocessing) until the new result replaces them in one transaction, and trace ids (permanent
 * links) are kept.
 */
export async function reprocess(
  prisma: PrismaClient,
  queue: Queue,
  filter: ReprocessFilter,
  options: { dryRun?: boolean; pageSize?: number } = {},
): Promise<{ ids: string[] }> {
  const where = reprocessWhere(filter);
  const ids: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await prisma.submission.findMany({
      where,
      select: { id: true },
      orderBy: { id: "asc" },
      take: options.pageSize ?? 500,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
    });
    if (page.length === 0) break;
    cursor = page[page.length - 1]!.id;
    const pageIds = page.map((p) => p.id);
    ids.push(...pageIds);
    if (options.dryRun) continue;
    await markForReprocessing(prisma, pageIds);
    // If Redis is down, the worker's sweep enqueues them later: the rows say what to do.
    for (const id of pageIds) await enqueueIngest(queue, id);
  }
  return { ids };
}
