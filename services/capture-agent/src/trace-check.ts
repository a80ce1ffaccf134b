import { type Chipset, chipsetFromBoot0 } from "./chipset";

/**
 * What the agent needs to know about what it recorded: lost events, whether the header (VERSION,
 * PCIDEV) came out, and which card the accesses went to. Kept behind this small interface so it can be
 * swapped for @mmiohub/trace once that package's reader is in; it only looks at the few line kinds it
 * needs and counts the rest.
 */
export interface TraceSummary {
  lines: number;
  bytes: number;
  versionSeen: boolean;
  pciDevices: TracePciDevice[];
  lostEvents: number;
  lostMarkers: number;
  markers: number;
  /** The first traced card whose BAR0 was read at offset 0 (PMC_BOOT_0), if any. */
  card: TracedCard | null;
}

export interface TracePciDevice {
  busDevfn: string;
  vendorId: string;
  deviceId: string;
  bar0: number;
  bar0Size: number;
  driver: string;
}

export interface TracedCard {
  vendorId: string;
  deviceId: string;
  boot0: number;
  chipset: Chipset;
}

export interface TraceChecker {
  feed(chunk: Buffer): void;
  end(): TraceSummary;
  /** Lost events seen so far, for the live display. */
  lostSoFar(): number;
}

const NL = 0x0a;
const MAX_KEPT = 4096;
const CH_P = 0x50;
const CH_M = 0x4d;
const CH_R = 0x52;
const CH_V = 0x56;
// The kernel prints it with timestamp 0.000000; hand-edited and older logs carry a real one.
const LOST = /^MARK \d+\.\d+ Lost (\d+) events\./;

export function createTraceChecker(onLost?: (count: number, total: number) => void): TraceChecker {
  let partial: Buffer | null = null;
  const summary: TraceSummary = {
    lines: 0,
    bytes: 0,
    versionSeen: false,
    pciDevices: [],
    lostEvents: 0,
    lostMarkers: 0,
    markers: 0,
    card: null,
  };

  function pcidev(line: string): void {
    const fields = line.split(" ");
    const id = fields[2] ?? "";
    const bar0Field = Number.parseInt(fields[4] ?? "0", 16);
    summary.pciDevices.push({
      busDevfn: fields[1] ?? "",
      vendorId: id.slice(0, 4),
      deviceId: id.slice(4, 8),
      // Low bits of the start carry region flags.
      bar0: bar0Field - (bar0Field % 16),
      bar0Size: Number.parseInt(fields[11] ?? "0", 16),
      driver: fields[18] ?? "",
    });
  }

  function read(line: string): void {
    // R width ts map phys value ...
    const fields = line.split(" ");
    const phys = Number.parseInt(fields[4] ?? "", 16);
    const device = summary.pciDevices.find((dev) => dev.vendorId === "10de" && dev.bar0 === phys);
    if (device === undefined || fields[1] !== "4") return;
    const boot0 = Number.parseInt(fields[5] ?? "", 16);
    summary.card = {
      vendorId: device.vendorId,
      deviceId: device.deviceId,
      boot0,
      chipset: chipsetFromBoot0(boot0),
    };
  }

  function line(buf: Buffer, start: number, end: number): void {
    summary.lines++;
    const first = buf[start];
    if (first === CH_M) {
      summary.markers++;
      const match = LOST.exec(buf.toString("latin1", start, Math.min(end, start + 64)));
      if (match) {
        const count = Number(match[1]);
        summary.lostEvents += count;
        summary.lostMarkers++;
        onLost?.(count, summary.lostEvents);
      }
    } else if (first === CH_P) {
      pcidev(buf.toString("latin1", start, end).replace(/\r$/, ""));
    } else if (first === CH_R && summary.card === null) {
      read(buf.toString("latin1", start, end));
    } else if (first === CH_V && !summary.versionSeen) {
      summary.versionSeen = buf.toString("latin1", start, start + 8) === "VERSION ";
    }
  }

  return {
    feed(chunk: Buffer): void {
      summary.bytes += chunk.length;
      const buf = chunk;
      let start = 0;
      if (partial !== null) {
        const nl = chunk.indexOf(NL);
        if (nl < 0) {
          // The lines we look into are short: keep a line's head only, so garbage cannot grow memory.
          if (partial.length < MAX_KEPT) partial = Buffer.concat([partial, chunk.subarray(0, MAX_KEPT)]);
          return;
        }
        const joined = Buffer.concat([partial, chunk.subarray(0, nl)]);
        line(joined, 0, joined.length);
        partial = null;
        start = nl + 1;
      }
      for (;;) {
        const nl = buf.indexOf(NL, start);
        if (nl < 0) break;
        line(buf, start, nl);
        start = nl + 1;
      }
      if (start < buf.length) partial = Buffer.from(buf.subarray(start, start + MAX_KEPT));
    },
    end(): TraceSummary {
      if (partial !== null && partial.length > 0) line(partial, 0, partial.length);
      partial = null;
      return summary;
    },
    lostSoFar: () => summary.lostEvents,
  };
}
