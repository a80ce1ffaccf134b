// One event as a plain object, for code off the hot path (JSON for the API, tests, debugging).
// Hot loops should read the batch columns directly instead.
import type { TraceBatch } from "./batch";
import { EVENT_KIND_NAMES, type EventKindName } from "./kinds";
import { hex64 } from "./model-types";

export interface TraceEvent {
  /** Event number over the whole trace. */
  readonly index: number;
  readonly kind: EventKindName;
  readonly width: number;
  readonly flags: number;
  readonly sec: number;
  readonly usec: number;
  readonly mapId: number;
  /** Hex strings ("0xf6000000"): exact for all 64 bits. */
  readonly addr: string;
  readonly value: string;
  readonly pc: string;
  readonly pid: number;
  /** Null when the access is unresolved or the event is not an access. */
  readonly device: number | null;
  readonly bar: number | null;
  readonly offset: string | null;
  readonly line: number;
  readonly byteOffset: number;
  readonly text: string | null;
}

export function eventAt(batch: TraceBatch, row: number): TraceEvent {
  const x = batch.extra[row]!;
  const device = batch.device[row]!;
  const resolved = device >= 0 && batch.bar[row]! >= 0;
  return {
    index: batch.start + row,
    kind: EVENT_KIND_NAMES[batch.kind[row]!] ?? "INVALID",
    width: batch.width[row]!,
    flags: batch.flags[row]!,
    sec: batch.sec[row]!,
    usec: batch.usec[row]!,
    mapId: batch.mapId[row]!,
    addr: hex64(batch.addrLo[row]!, batch.addrHi[row]!),
    value: hex64(batch.valueLo[row]!, batch.valueHi[row]!),
    pc: hex64(batch.pcLo[row]!, batch.pcHi[row]!),
    pid: batch.pid[row]!,
    device: resolved ? device : null,
    bar: resolved ? batch.bar[row]! : null,
    offset: resolved ? hex64(batch.offsetLo[row]!, batch.offsetHi[row]!) : null,
    line: batch.line[row]!,
    byteOffset: batch.byteOffset[row]!,
    text: x >= 0 ? (batch.extras[x]?.text ?? null) : null,
  };
}

/** A lo/hi pair as one exact bigint. */
export const toBigInt = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
