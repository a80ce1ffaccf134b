import { createParser, EventKind, type TraceBatch } from "@mmiohub/trace";

/**
 * What the agent needs to know about what it recorded: lost events (live, for the warning, and at
 * the end), whether the header (VERSION, PCIDEV) came out, and which card the accesses went to.
 * The reading is @mmiohub/trace's parser; this file only condenses its summary for the agent.
 */
export interface TraceSummary {
  lines: number;
  bytes: number;
  versionSeen: boolean;
  pciDevices: TracePciDevice[];
  lostEvents: number;
  lostMarkers: number;
  markers: number;
  /** The traced NVIDIA card whose identity registers were read, if any. */
  card: TracedCard | null;
  /** Codes of the parser's validation issues (e.g. NO_PCIDEV, TRUNCATED_LAST_LINE). */
  issues: string[];
}

export interface TracePciDevice {
  slot: string;
  id: string;
  driver: string | null;
}

export interface TracedCard {
  pciId: string;
  boot0: number | null;
  chipset: number;
  family: string;
  name: string | null;
}

export interface TraceChecker {
  feed(chunk: Buffer): void;
  end(): TraceSummary;
  /** Lost events seen so far, for the live display. */
  lostSoFar(): number;
}

// Small batches so a lost-events notice reaches the live warning soon after it is read.
const LIVE_BATCH = 1024;

export function createTraceChecker(onLost?: (count: number, total: number) => void): TraceChecker {
  let lost = 0;
  const onBatch = (batch: TraceBatch) => {
    for (let row = 0; row < batch.length; row++) {
      if (batch.kind[row] !== EventKind.LOST) continue;
      const count = batch.valueLo[row] ?? 0;
      lost += count;
      onLost?.(count, lost);
    }
  };
  const parser = createParser({ onBatch, batchSize: LIVE_BATCH, reuseBatches: true, maxMappings: 10_000 });
  return {
    feed: (chunk) => parser.feed(chunk),
    lostSoFar: () => lost,
    end(): TraceSummary {
      const summary = parser.end();
      const card = summary.cards.find((entry) => entry.nvidia && entry.chipset !== null);
      return {
        lines: summary.lines,
        bytes: summary.bytes,
        versionSeen: summary.version !== null,
        pciDevices: summary.devices.map((device) => ({
          slot: device.slot,
          id: device.id,
          driver: device.driver,
        })),
        lostEvents: summary.lost.events,
        lostMarkers: summary.lost.reports.filter((report) => report.source === "mark").length,
        markers: summary.markers.length,
        card:
          card === undefined || card.chipset === null
            ? null
            : {
                pciId: card.id,
                boot0: card.boot0,
                chipset: card.chipset,
                family: card.family ?? "unknown",
                name: card.codeName,
              },
        issues: summary.report.issues.map((issue) => issue.code),
      };
    },
  };
}
