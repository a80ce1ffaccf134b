import type { Submission } from "@mmiohub/db";
import { compareMetadata, identifyCards, type TraceWarning } from "../index-trace/identify";
import { mergeMetadata } from "../index-trace/merge-metadata";
import { readMetadata } from "../index-trace/metadata";
import type { IndexContext } from "./context";
import type { Notes } from "./notes";
import type { SubmissionUpdate, TraceRecord } from "./persist";
import { withoutNul } from "./pg-text";
import type { FoundTrace } from "./pipeline";

const SEARCH_TEXT_LIMIT = 1 << 20;
const hex2 = (n: number) => n.toString(16).padStart(2, "0");

/** Turns what the pass found into the rows to store, with the identity checks and warnings. */
export function buildRecords(
  submission: Pick<Submission, "metadata" | "description"> &
    Partial<Pick<Submission, "privateMetadata" | "hostname">>,
  result: { traces: FoundTrace[]; side: { description?: string; metadata?: string } },
  ctx: IndexContext,
  notes: Notes,
): { traces: TraceRecord[]; update: SubmissionUpdate } {
  const merged = mergeMetadata(
    {
      metadata: submission.metadata,
      privateMetadata: submission.privateMetadata ?? {},
      hostname: submission.hostname ?? null,
    },
    result.side.metadata,
  );
  // the form's own claims (not what an earlier run of this submission took from the archive)
  const form = readMetadata(merged.form);
  const archive = result.side.metadata === undefined ? null : readMetadata(result.side.metadata);
  const shared: TraceWarning[] = compareMetadata(form, archive);
  if (result.side.metadata !== undefined && !archive)
    shared.push({
      code: "METADATA_INVALID",
      message: "metadata.json in the archive is not a JSON object; ignored",
    });
  // The uploader's claims: the form's values first, metadata.json for what the form left out.
  const claims =
    form || archive
      ? {
          ...(archive ?? {}),
          ...(form ?? {}),
          gpus: form?.gpus ?? archive?.gpus,
          driver: form?.driver ?? archive?.driver,
        }
      : null;
  const description = submission.description ?? result.side.description?.trim() ?? null;
  const traces = result.traces.map((t): TraceRecord => {
    const { summary, registers, eventStore } = t.indexed;
    const identity = identifyCards(summary, ctx.pciIds, claims);
    const warnings = [...shared, ...identity.warnings];
    if (registers.truncated)
      warnings.push({
        code: "REGISTER_STATS_TRUNCATED",
        message: `more than ${registers.count} distinct registers: statistics keep the first ${registers.count}`,
      });
    notes.add(
      "identify",
      true,
      0,
      `${t.member}: ${identity.cards.map((c) => `${c.vendorId.toString(16).padStart(4, "0")}:${c.deviceId.toString(16).padStart(4, "0")} ${c.codeName ?? "?"}${c.pciName ? ` "${c.pciName}"` : ""}`).join(", ") || "no card"}; ${warnings.length} warning(s)`,
      { pciIdsVersion: ctx.pciIds?.version ?? null },
    );
    const cardOfDevice = new Map(summary.cards.map((c, i) => [c.device, i]));
    const markers = [
      ...summary.markers.map((m) => ({
        eventIndex: m.eventIndex,
        timeUs: m.sec * 1e6 + m.usec,
        kind: "mark" as const,
        text: m.text,
        lost: 0,
      })),
      ...summary.lost.reports.map((r) => ({
        eventIndex: r.eventIndex,
        timeUs: t.indexed.lostTimes.get(r.eventIndex) ?? 0,
        kind: "lost" as const,
        text: `Lost ${r.count} events.`,
        lost: r.count,
      })),
    ]
      .sort((a, b) => a.eventIndex - b.eventIndex)
      .map((m, seq) => ({ ...m, seq }));
    let searchText = [description ?? "", ...summary.markers.map((m) => m.text)].join("\n").trim();
    if (searchText.length > SEARCH_TEXT_LIMIT) searchText = searchText.slice(0, SEARCH_TEXT_LIMIT);
    const first = summary.firstTimestamp;
    const last = summary.lastTimestamp;
    const stored = withoutNul({
      member: t.member,
      textBytes: summary.bytes,
      lineCount: summary.lines,
      recordCounts: { ...summary.counts },
      eventCount: summary.events,
      accessCount: summary.accesses.total,
      lostEvents: summary.lost.events,
      firstUs: first ? first.sec * 1e6 + first.usec : null,
      lastUs: last ? last.sec * 1e6 + last.usec : null,
      validation: summary.report,
      validationOk: summary.report.ok,
      eventStoreKey: eventStore.key,
      parserVersion: eventStore.meta.app.parserVersion,
      rnndbVersion: eventStore.meta.app.rnndbVersion,
      warnings,
      searchText,
      devices: summary.devices.map((d) => ({
        position: d.index,
        busDevfn: hex2(d.bus) + hex2(d.devfn),
        vendorId: d.vendor,
        deviceId: d.device,
        irq: d.irq,
        driver: d.driver,
        bars: d.bars,
      })),
      cards: identity.cards,
      markers,
    });
    return {
      ...stored,
      registers: function* () {
        for (const r of registers.rows()) {
          const card = cardOfDevice.get(r.device);
          if (card === undefined) continue;
          yield {
            card,
            bar: r.bar,
            offset: r.offset,
            span: r.span,
            reads: r.reads,
            writes: r.writes,
            firstEvent: r.firstEvent,
            lastEvent: r.lastEvent,
          };
        }
      },
    };
  });
  return {
    traces,
    update: withoutNul({
      description: result.side.description?.trim() || null,
      kernel: claims?.kernel ?? null,
      driverName: claims?.driver?.name ?? null,
      driverVersion: claims?.driver?.version ?? null,
      notes: notes.list,
      metadata: merged.metadata,
      privateMetadata: merged.privateMetadata,
      hostname: merged.hostname,
      archiveProtected: merged.archiveProtected,
    }),
  };
}
