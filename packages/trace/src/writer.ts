// Events back to kernel-format lines. For well-formed input the output is byte-identical: numbers
// print the way the kernel prints them, and lines the kernel would not have printed that way
// (headers, padded hex, unparsable text) carry their raw text in the batch's extras.
import type { TraceBatch } from "./batch";
import { EventFlag, EventKind } from "./kinds";
import type { TraceSummary } from "./summary";

const hex = (lo: number, hi: number): string =>
  hi === 0 ? lo.toString(16) : hi.toString(16) + lo.toString(16).padStart(8, "0");

const ts = (sec: number, usec: number): string => `${sec}.${usec.toString().padStart(6, "0")}`;

const eol = (flags: number): string =>
  flags & EventFlag.NO_EOL ? "" : flags & EventFlag.CRLF ? "\r\n" : "\n";

/** One event as its kernel line, line ending included. */
export function formatEvent(batch: TraceBatch, row: number): string {
  const flags = batch.flags[row]!;
  const x = batch.extra[row]!;
  const extra = x >= 0 ? batch.extras[x] : undefined;
  if (extra?.raw != null) return extra.raw + eol(flags);
  const kind = batch.kind[row]!;
  const t = ts(batch.sec[row]!, batch.usec[row]!);
  switch (kind) {
    case EventKind.READ:
    case EventKind.WRITE:
      return `${kind === EventKind.READ ? "R" : "W"} ${batch.width[row]} ${t} ${batch.mapId[row]} 0x${hex(
        batch.addrLo[row]!,
        batch.addrHi[row]!,
      )} 0x${hex(batch.valueLo[row]!, batch.valueHi[row]!)} 0x${hex(batch.pcLo[row]!, batch.pcHi[row]!)} ${
        batch.pid[row]
      }${eol(flags)}`;
    case EventKind.UNMAP:
      return `UNMAP ${t} ${batch.mapId[row]} 0x${hex(batch.pcLo[row]!, batch.pcHi[row]!)} ${batch.pid[row]}${eol(flags)}`;
    case EventKind.MARK:
      return `MARK ${t} ${extra?.text ?? ""}${eol(flags)}`;
    case EventKind.LOST:
      return `MARK ${t} Lost ${batch.valueLo[row]} events.${eol(flags)}`;
    case EventKind.CPU_LOST:
      return `CPU:${batch.mapId[row]} [LOST ${batch.valueLo[row]} EVENTS]${eol(flags)}`;
    default:
      // MAP, UNKNOWN and headers always carry raw text; an INVALID line over the limit has none.
      return eol(flags);
  }
}

/** Events `from` (inclusive) to `to` (exclusive) of a batch, as one string. */
export function formatEvents(batch: TraceBatch, from = 0, to = batch.length): string {
  let out = "";
  for (let row = from; row < to; row++) out += formatEvent(batch, row);
  return out;
}

/**
 * The header a served range needs to be a valid log on its own: the VERSION line and every
 * PCIDEV line, as written in the original trace.
 */
export function formatHeader(summary: Pick<TraceSummary, "version" | "devices">): string {
  let out = `VERSION ${summary.version ?? "20070824"}\n`;
  for (const d of summary.devices) out += `${d.text}\n`;
  return out;
}
