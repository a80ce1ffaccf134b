import { createParser } from "@mmiohub/trace";

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

const LOST_NEEDLE = Buffer.from(" Lost ");
const LOST_LINE = /^MARK \d+\.\d+ Lost (\d+) events\.$/;
const NL = 0x0a;
const MAX_TAIL = 256;

export function createTraceChecker(onLost?: (count: number, total: number) => void): TraceChecker {
  // The parser hands out events in batches, so its view of lost events lags; for the live warning
  // the chunks are scanned for the kernel's notice line as they arrive. The summary stays the
  // parser's.
  let lost = 0;
  let tail = Buffer.alloc(0);
  const scan = (chunk: Buffer) => {
    const lastNl = chunk.lastIndexOf(NL);
    if (lastNl < 0) {
      if (tail.length < MAX_TAIL) tail = Buffer.concat([tail, chunk.subarray(0, MAX_TAIL)]);
      return;
    }
    const text =
      tail.length > 0 ? Buffer.concat([tail, chunk.subarray(0, lastNl + 1)]) : chunk.subarray(0, lastNl + 1);
    for (let at = text.indexOf(LOST_NEEDLE); at >= 0; at = text.indexOf(LOST_NEEDLE, at + 1)) {
      const start = text.lastIndexOf(NL, at) + 1;
      const end = text.indexOf(NL, at);
      const match = LOST_LINE.exec(text.toString("latin1", start, end).replace(/\r$/, ""));
      if (!match) continue;
      const count = Number(match[1]);
      lost += count;
      onLost?.(count, lost);
    }
    tail = Buffer.from(chunk.subarray(lastNl + 1, lastNl + 1 + MAX_TAIL));
  };
  const parser = createParser({ onBatch: () => {}, reuseBatches: true, maxMappings: 10_000 });
  return {
    feed(chunk) {
      parser.feed(chunk);
      scan(chunk);
    },
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
