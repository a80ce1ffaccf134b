import type { Db } from "@mmiohub/db";
import { requirePublic } from "./submission-access";

/** A trace with what its pages need, whatever its visibility; null when there is none. */
export async function loadTrace(db: Db, id: string) {
  return db.trace.findUnique({
    where: { id },
    include: {
      submission: true,
      cards: { orderBy: { cardIndex: "asc" } },
      devices: { orderBy: { position: "asc" } },
      markers: { orderBy: { seq: "asc" }, take: 1000 },
    },
  });
}
export type TraceRow = NonNullable<Awaited<ReturnType<typeof loadTrace>>>;

/**
 * The trace, or null when there is none. Unless `includeHidden` (maintainers), a hidden one is a
 * 404 and a withdrawn one a 410, as in the submissions API.
 */
export function publicOnly(t: TraceRow | null, id: string, includeHidden: boolean): TraceRow | null {
  if (!t) return null;
  if (!includeHidden) requirePublic(t.submission, `trace ${id}`);
  return t;
}
export type PublicTrace = TraceRow;

/**
 * The busiest registers of a trace (reads + writes), for the activity plot and the filter list.
 * Rows standing for a page of a memory aperture (span > 1: framebuffer, PRAMIN) are not registers.
 */
export async function busiestRegisters(db: Db, traceId: string, take = 12) {
  const rows = await db.$queryRaw<
    {
      card_index: number;
      bar: number;
      offset: bigint;
      reads: bigint;
      writes: bigint;
      first_event: bigint;
      last_event: bigint;
    }[]
  >`SELECT card_index, bar, "offset", reads, writes, first_event, last_event FROM register_stat
    WHERE trace_id = ${traceId} AND span = 1 ORDER BY reads + writes DESC, "offset" LIMIT ${take}`;
  return rows.map((r) => ({
    cardIndex: r.card_index,
    bar: r.bar,
    offset: Number(r.offset),
    reads: Number(r.reads),
    writes: Number(r.writes),
    firstEvent: Number(r.first_event),
    lastEvent: Number(r.last_event),
  }));
}
export type BusyRegister = Awaited<ReturnType<typeof busiestRegisters>>[number];

/** Phases of a trace: marker k runs from its event to the next marker (or the end). */
export function phaseOf(trace: PublicTrace, seq: number): { from: number; to: number; text: string } | null {
  const i = trace.markers.findIndex((m) => m.seq === seq);
  if (i < 0) return null;
  const m = trace.markers[i]!;
  const next = trace.markers[i + 1];
  const last = Math.max(0, Number(trace.eventCount || trace.lineCount) - 1);
  return { from: Number(m.eventIndex), to: next ? Number(next.eventIndex) - 1 : last, text: m.text };
}

/** Where the trace's events are read from (see EventService). */
export function eventsRef(t: PublicTrace) {
  return {
    archiveSha256: t.submission.archiveSha256,
    archiveName: t.submission.archiveName,
    eventStoreKey: t.eventStoreKey,
  };
}
