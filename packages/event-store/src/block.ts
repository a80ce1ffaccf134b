// A block: up to `capacity` consecutive events, stored column by column. The columns are the trace
// core's batch columns, except that
//  - sec/usec are one timestamp in microseconds (exact: sec < 2^32, so sec * 1e6 + usec < 2^53),
//  - offsetLo is not stored when it is addrLo minus the start of the access's BAR (always, for
//    what the trace core resolves): a table of (device, BAR) -> start per block replaces it,
//  - the `extra` column is rebuilt from the extras table, which is JSON.
// Each optimisation is checked per block and dropped (a flag says so) when a row breaks its rule,
// so a block always decodes to exactly what was written.
import type { EventExtra, TraceBatch } from "@mmiohub/trace";
import { ByteReader, ByteWriter } from "./bytes";
import { decodeColumn, encodeColumn, type NumericArray } from "./column-codec";
import { BLOCK_OFFSETS_BY_BAR, BLOCK_SPLIT_TIME, EventStoreFormatError } from "./format";

const US = 1_000_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The columns of TraceBatch that are copied through unchanged, in stored order. */
const PLAIN = [
  "kind",
  "width",
  "flags",
  "mapId",
  "addrLo",
  "addrHi",
  "valueLo",
  "valueHi",
  "pcLo",
  "pcHi",
  "pid",
  "device",
  "bar",
  "offsetHi",
  "line",
  "byteOffset",
] as const;
type PlainColumn = (typeof PLAIN)[number];
/** Columns that often climb steadily within a block (the others never gain from deltas). */
const DELTA_CANDIDATES = new Set<PlainColumn>(["addrLo", "pcLo", "line", "byteOffset"]);

/** Mutable columns of one block (also the decoded form). */
export class BlockColumns {
  length = 0;
  start = 0;
  readonly kind: Uint8Array;
  readonly width: Uint8Array;
  readonly flags: Uint8Array;
  readonly sec: Uint32Array;
  readonly usec: Uint32Array;
  readonly mapId: Int32Array;
  readonly addrLo: Uint32Array;
  readonly addrHi: Uint32Array;
  readonly valueLo: Uint32Array;
  readonly valueHi: Uint32Array;
  readonly pcLo: Uint32Array;
  readonly pcHi: Uint32Array;
  readonly pid: Int32Array;
  readonly device: Int16Array;
  readonly bar: Int8Array;
  readonly offsetLo: Uint32Array;
  readonly offsetHi: Uint32Array;
  readonly line: Uint32Array;
  readonly byteOffset: Float64Array;
  readonly extra: Int32Array;
  extras: EventExtra[] = [];
  /** Scratch column: timestamps in microseconds. */
  readonly time: Float64Array;

  constructor(readonly capacity: number) {
    this.kind = new Uint8Array(capacity);
    this.width = new Uint8Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.sec = new Uint32Array(capacity);
    this.usec = new Uint32Array(capacity);
    this.mapId = new Int32Array(capacity);
    this.addrLo = new Uint32Array(capacity);
    this.addrHi = new Uint32Array(capacity);
    this.valueLo = new Uint32Array(capacity);
    this.valueHi = new Uint32Array(capacity);
    this.pcLo = new Uint32Array(capacity);
    this.pcHi = new Uint32Array(capacity);
    this.pid = new Int32Array(capacity);
    this.device = new Int16Array(capacity);
    this.bar = new Int8Array(capacity);
    this.offsetLo = new Uint32Array(capacity);
    this.offsetHi = new Uint32Array(capacity);
    this.line = new Uint32Array(capacity);
    this.byteOffset = new Float64Array(capacity);
    this.extra = new Int32Array(capacity);
    this.time = new Float64Array(capacity);
  }

  /** Appends rows [from, to) of a batch; returns how many fit. */
  append(b: TraceBatch, from: number, to: number): number {
    const n = Math.min(to - from, this.capacity - this.length);
    const at = this.length;
    if (at === 0) this.start = b.start + from;
    const end = from + n;
    this.kind.set(b.kind.subarray(from, end), at);
    this.width.set(b.width.subarray(from, end), at);
    this.flags.set(b.flags.subarray(from, end), at);
    this.sec.set(b.sec.subarray(from, end), at);
    this.usec.set(b.usec.subarray(from, end), at);
    this.mapId.set(b.mapId.subarray(from, end), at);
    this.addrLo.set(b.addrLo.subarray(from, end), at);
    this.addrHi.set(b.addrHi.subarray(from, end), at);
    this.valueLo.set(b.valueLo.subarray(from, end), at);
    this.valueHi.set(b.valueHi.subarray(from, end), at);
    this.pcLo.set(b.pcLo.subarray(from, end), at);
    this.pcHi.set(b.pcHi.subarray(from, end), at);
    this.pid.set(b.pid.subarray(from, end), at);
    this.device.set(b.device.subarray(from, end), at);
    this.bar.set(b.bar.subarray(from, end), at);
    this.offsetLo.set(b.offsetLo.subarray(from, end), at);
    this.offsetHi.set(b.offsetHi.subarray(from, end), at);
    this.line.set(b.line.subarray(from, end), at);
    this.byteOffset.set(b.byteOffset.subarray(from, end), at);
    for (let i = from; i < end; i++) {
      const x = b.extra[i]!;
      if (x < 0) {
        this.extra[at + i - from] = -1;
        continue;
      }
      const e = b.extras[x]!;
      this.extra[at + i - from] = this.extras.length;
      this.extras.push({ row: at + i - from, text: e.text, raw: e.raw });
    }
    this.length += n;
    return n;
  }

  reset(): void {
    this.length = 0;
    this.extras = [];
  }

  /** A TraceBatch view of the filled rows (the extras table and its indices serve as they are). */
  view(): TraceBatch {
    const to = this.length;
    const s = <T extends NumericArray>(a: T) => a.subarray(0, to) as T;
    return {
      start: this.start,
      length: to,
      kind: s(this.kind),
      width: s(this.width),
      flags: s(this.flags),
      sec: s(this.sec),
      usec: s(this.usec),
      mapId: s(this.mapId),
      addrLo: s(this.addrLo),
      addrHi: s(this.addrHi),
      valueLo: s(this.valueLo),
      valueHi: s(this.valueHi),
      pcLo: s(this.pcLo),
      pcHi: s(this.pcHi),
      pid: s(this.pid),
      device: s(this.device),
      bar: s(this.bar),
      offsetLo: s(this.offsetLo),
      offsetHi: s(this.offsetHi),
      line: s(this.line),
      byteOffset: s(this.byteOffset),
      extra: s(this.extra),
      extras: this.extras,
    };
  }
}

export interface EncodedBlock {
  bytes: Uint8Array;
  /** Smallest and largest timestamp (microseconds) of events with a timestamp; -1 when none. */
  minTime: number;
  maxTime: number;
}

/** Encodes the filled rows. Block body: u32 rows, u32 flags, f64 first event, columns, extras. */
export function encodeBlock(c: BlockColumns, out: ByteWriter = new ByteWriter()): EncodedBlock {
  const n = c.length;
  let flags = 0;
  let minTime = Number.POSITIVE_INFINITY;
  let maxTime = -1;
  // (device, BAR) -> BAR start (low 32 bits), checked on every row
  const keys: number[] = [];
  const bases: number[] = [];
  let lastKey = -1;
  let lastBase = 0;
  let byBar = true;
  for (let i = 0; i < n; i++) {
    const sec = c.sec[i]!;
    const usec = c.usec[i]!;
    if (usec >= US) flags |= BLOCK_SPLIT_TIME;
    const t = sec * US + usec;
    c.time[i] = t;
    if (t !== 0) {
      if (t < minTime) minTime = t;
      if (t > maxTime) maxTime = t;
    }
    const bar = c.bar[i]!;
    if (bar < 0) {
      if (c.offsetLo[i] !== 0) byBar = false;
      continue;
    }
    const key = c.device[i]! * 8 + bar;
    const base = (c.addrLo[i]! - c.offsetLo[i]!) >>> 0;
    if (key === lastKey) {
      if (base !== lastBase) byBar = false;
      continue;
    }
    const k = keys.indexOf(key);
    if (k < 0) {
      keys.push(key);
      bases.push(base);
    } else if (bases[k] !== base) byBar = false;
    lastKey = key;
    lastBase = base;
  }
  if (byBar) flags |= BLOCK_OFFSETS_BY_BAR;
  out.u32(n);
  out.u32(flags);
  out.f64(c.start);
  for (const name of PLAIN) encodeColumn(out, c[name], n, DELTA_CANDIDATES.has(name));
  if (flags & BLOCK_SPLIT_TIME) {
    encodeColumn(out, c.sec, n);
    encodeColumn(out, c.usec, n);
  } else encodeColumn(out, c.time, n);
  if (byBar) {
    out.u32(keys.length);
    for (let k = 0; k < keys.length; k++) {
      out.f64(keys[k]!);
      out.u32(bases[k]!);
    }
  } else encodeColumn(out, c.offsetLo, n);
  const table = c.extras.map((e) => [e.row, e.text, e.raw]);
  const json = encoder.encode(JSON.stringify(table));
  out.u32(json.length);
  out.bytes(json);
  out.align8();
  return { bytes: out.take(), minTime: maxTime < 0 ? -1 : minTime, maxTime };
}

/**
 * Decodes a block's body into `c` (reused across blocks of the same capacity or larger): its first
 * `rows` events (all by default; `c.length` says how many), and returns how many the block holds.
 * A page at a random offset needs the rows from the block's start (its checkpoint) to the page's
 * end: on average 60% of them.
 */
export function decodeBlock(bytes: Uint8Array, c: BlockColumns, rows = Number.POSITIVE_INFINITY): number {
  const r = new ByteReader(bytes);
  const n = r.u32();
  const flags = r.u32();
  const start = r.f64();
  if (n > c.capacity) throw new EventStoreFormatError(`block of ${n} events is larger than expected`);
  const m = Math.max(0, Math.min(n, rows));
  for (const name of PLAIN as readonly PlainColumn[]) decodeColumn(r, n, c[name], m);
  if (flags & BLOCK_SPLIT_TIME) {
    decodeColumn(r, n, c.sec, m);
    decodeColumn(r, n, c.usec, m);
  } else {
    decodeColumn(r, n, c.time, m);
    for (let i = 0; i < m; i++) {
      const t = c.time[i]!;
      const sec = Math.floor(t / US);
      c.sec[i] = sec;
      c.usec[i] = t - sec * US;
    }
  }
  if (flags & BLOCK_OFFSETS_BY_BAR) {
    const count = r.u32();
    const table = new Map<number, number>();
    for (let k = 0; k < count; k++) {
      const key = r.f64();
      table.set(key, r.u32());
    }
    let lastKey = Number.NaN;
    let lastBase = 0;
    for (let i = 0; i < m; i++) {
      const bar = c.bar[i]!;
      if (bar < 0) {
        c.offsetLo[i] = 0;
        continue;
      }
      const key = c.device[i]! * 8 + bar;
      if (key !== lastKey) {
        const base = table.get(key);
        if (base === undefined) throw new EventStoreFormatError("block lacks the start of a BAR it uses");
        lastKey = key;
        lastBase = base;
      }
      c.offsetLo[i] = (c.addrLo[i]! - lastBase) >>> 0;
    }
  } else decodeColumn(r, n, c.offsetLo, m);
  const len = r.u32();
  const table = JSON.parse(decoder.decode(r.bytes(len))) as [number, string | null, string | null][];
  c.extra.fill(-1, 0, m);
  c.extras = table.map(([row, text, raw], i) => {
    if (row < m) c.extra[row] = i;
    return { row, text, raw };
  });
  c.length = m;
  c.start = start;
  return n;
}
