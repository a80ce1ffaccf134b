import {
  Piece,
  pieces,
  plainAscii,
  putDec,
  putDecPad,
  putHex,
  putHex64,
  putPiece,
  TextBuffer,
  type TextFormat,
} from "@mmiohub/annotate";
import { EVENT_KIND_NAMES, EventKind, formatEvent, type TraceBatch } from "@mmiohub/trace";
import { isAccess } from "./events-filter";

/** One event as the API and the sequence view show it. */
export interface EventRow {
  n: number;
  kind: string;
  /** the kernel-format line, without its line ending */
  line: string;
  /** "sec.usec" as printed, null for lines without a timestamp */
  time: string | null;
  device: number | null;
  bar: number | null;
  offset: string | null;
  width: number | null;
  value: string | null;
  access: "R" | "W" | null;
  /** demmio-format lines this event produced (an I2C transaction prints when it ends) */
  annotated: string[];
}

/**
 * Where the events of a range go, row by row, each written in place: `open` writes what comes
 * before the event's annotation into `out`, the annotator then writes the annotation right there
 * (in `out`'s format: its lines end in the format's line end), and `close` ends the row. An event
 * whose annotation shows it does not pass the filter is taken back with `drop`.
 */
export interface RowSink {
  readonly out: TextBuffer;
  /** Starts the row of event `i` of `b`. */
  open(b: TraceBatch, i: number): void;
  /** Ends the row opened: its annotation is `out`'s bytes from `at` to `out.pos` (none when equal). */
  close(b: TraceBatch, i: number, at: number): void;
  /** Takes back the row opened, as if it had never been. */
  drop(): void;
}

export const TIMED = new Set<number>([
  EventKind.READ,
  EventKind.WRITE,
  EventKind.MAP,
  EventKind.UNMAP,
  EventKind.MARK,
  EventKind.UNKNOWN,
  EventKind.LOST,
]);

const hex = (n: number, digits: number) => `0x${n.toString(16).padStart(digits, "0")}`;

/** A kernel line without its line ending ("\n" or "\r\n"). */
export function withoutEol(line: string): string {
  let end = line.length;
  if (line.charCodeAt(end - 1) === 10) end--;
  else return line;
  if (line.charCodeAt(end - 1) === 13) end--;
  return line.slice(0, end);
}

/** The lines of demmio text ("" has none; a last line without "\n" counts). */
export function lines(text: string): string[] {
  if (text === "") return [];
  const out = text.split("\n");
  if (out[out.length - 1] === "") out.pop();
  return out;
}

function rowOf(b: TraceBatch, i: number, annotated: string[]): EventRow {
  const kind = b.kind[i]!;
  const access = isAccess(kind);
  const resolved = access && b.device[i]! >= 0;
  const hi = b.valueHi[i]!;
  const lo = b.valueLo[i]!;
  const width = b.width[i]!;
  return {
    n: b.start + i,
    kind: EVENT_KIND_NAMES[kind] ?? "INVALID",
    line: withoutEol(formatEvent(b, i)),
    time: TIMED.has(kind) ? `${b.sec[i]}.${b.usec[i]!.toString().padStart(6, "0")}` : null,
    device: resolved ? b.device[i]! : null,
    bar: resolved ? b.bar[i]! : null,
    offset: resolved ? hex(b.offsetHi[i]! * 0x100000000 + b.offsetLo[i]!, 6) : null,
    width: access ? width : null,
    value: access
      ? hi
        ? `0x${hi.toString(16)}${lo.toString(16).padStart(8, "0")}`
        : hex(lo, width * 2)
      : null,
    access: access ? (kind === EventKind.WRITE ? "W" : "R") : null,
    annotated,
  };
}

/** The rows as objects (EventRow): for callers that work on them rather than send them. */
export class RowObjects implements RowSink {
  readonly rows: EventRow[] = [];
  /** each row's annotation, as demmio's text */
  readonly out = new TextBuffer(1 << 12);

  open(): void {
    this.out.pos = 0;
  }

  close(b: TraceBatch, i: number, at: number): void {
    this.rows.push(rowOf(b, i, lines(this.out.buf.toString("utf8", at, this.out.pos))));
    this.out.pos = 0;
  }

  drop(): void {
    this.out.pos = 0;
  }
}

/** " 0x" at `p`. */
function put0x(o: Uint8Array, p: number): number {
  o[p] = 0x20;
  o[p + 1] = 0x30;
  o[p + 2] = 0x78;
  return p + 3;
}

/**
 * Writes the kernel line of a read or write (without its line ending) as formatEvent prints it,
 * digit by digit from `p` (96 bytes of room), and returns where it ended; returns -1, writing
 * nothing, for every other line (other kinds, raw text kept from the log, values the kernel would
 * not print), which the caller then takes from formatEvent. Such a line is plain ASCII with nothing
 * to escape.
 */
export function putAccessLine(o: Uint8Array, p: number, b: TraceBatch, i: number): number {
  const kind = b.kind[i]!;
  if (kind !== EventKind.READ && kind !== EventKind.WRITE) return -1;
  const x = b.extra[i]!;
  if (x >= 0 && b.extras[x]?.raw != null) return -1;
  const mapId = b.mapId[i]!;
  const pid = b.pid[i]!;
  const usec = b.usec[i]!;
  if (mapId < 0 || pid < 0 || usec > 999_999) return -1;
  o[p++] = kind === EventKind.READ ? 0x52 : 0x57;
  o[p++] = 0x20;
  p = putDec(o, p, b.width[i]!);
  o[p++] = 0x20;
  p = putDec(o, p, b.sec[i]!);
  o[p++] = 0x2e;
  p = putDecPad(o, p, usec, 6);
  o[p++] = 0x20;
  p = putDec(o, p, mapId);
  p = put0x(o, p);
  p = putHex64(o, p, b.addrLo[i]!, b.addrHi[i]!, 1);
  p = put0x(o, p);
  p = putHex64(o, p, b.valueLo[i]!, b.valueHi[i]!, 1);
  p = put0x(o, p);
  p = putHex64(o, p, b.pcLo[i]!, b.pcHi[i]!, 1);
  o[p++] = 0x20;
  return putDec(o, p, pid);
}

/** putAccessLine into a TextBuffer: true when written. */
export function writeAccessLine(out: TextBuffer, b: TraceBatch, i: number): boolean {
  out.reserve(96);
  const end = putAccessLine(out.buf, out.pos, b, i);
  if (end < 0) return false;
  out.pos = end;
  return true;
}

/**
 * Buffers answers are written into, one per request being served, given back once the answer is
 * sent (or copied out): a fresh 256 KiB buffer per request is memory outside the JS heap that V8
 * answers with full collections when it comes by the hundred megabytes a second.
 */
const scratch: TextBuffer[] = [];

function takeScratch(): TextBuffer {
  const b = scratch.pop() ?? new TextBuffer(1 << 18);
  b.pos = 0;
  b.format = undefined;
  return b;
}

/**
 * `b` back to the pool (up to 16 kept, of 4 MiB at most: a sequence page takes two, and each API
 * process has a few answers in flight): nothing may read it after this.
 */
function giveBackScratch(b: TextBuffer): void {
  if (scratch.length < 16 && b.buf.length <= 1 << 22) scratch.push(b);
}

/**
 * A pooled buffer and the once-only giving back of it: a second `release` (the answer's close
 * after an early release, say) does nothing, where giving the buffer back twice would hand it to
 * two answers at once.
 */
export function leaseScratch(): { out: TextBuffer; release: () => void } {
  const out = takeScratch();
  let held = true;
  return {
    out,
    release: () => {
      if (held) giveBackScratch(out);
      held = false;
    },
  };
}

/**
 * `n` bytes of `from` (all of it by default) at `p`, by a loop: the pieces of a row are a few to a
 * few tens of bytes, where a native copy's call costs more than the copy.
 */
export function putBytes(to: Uint8Array, p: number, from: Uint8Array, n = from.length): number {
  for (let k = 0; k < n; k++) to[p + k] = from[k]!;
  return p + n;
}

export const latin1 = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));

const QUOTE = 0x22;
const SP = 0x20;
// The constant parts of an events API row, as bytes.
const N_KEY = new Piece('{"n":');
/** `,"kind":"READ","line":"` and the like, by event kind. */
const KIND_THEN_LINE = EVENT_KIND_NAMES.map((name) => new Piece(`,"kind":"${name}","line":"`));
const LINE_THEN_TIME = new Piece('","time":"');
const TIME_KEY = new Piece(',"time":');
const NULL = new Piece("null");
const NO_DEVICE = new Piece(',"device":null,"bar":null,"offset":null');
const NO_ACCESS = new Piece(',"width":null,"value":null,"access":null,"annotated":["');
/** `","access":"W","annotated":["`, by kind (R for a read) */
const ACCESS_W = new Piece('","access":"W","annotated":["');
const ACCESS_R = new Piece('","access":"R","annotated":["');

/** `,"device":0,"bar":0,"offset":"0x` by device * 8 + BAR (0-6) */
const deviceBar = pieces((key) => `,"device":${key >> 3},"bar":${key & 7},"offset":"0x`);
/** `,"width":4,"value":"0x` by width */
const widthValue = pieces((width) => `,"width":${width},"value":"0x`);

/**
 * Rows written into a pooled answer buffer (`out`), counted: `release` gives the buffer back once
 * the answer is sent (or will never be).
 */
export abstract class PooledRows implements RowSink {
  private readonly lease = leaseScratch();
  readonly out = this.lease.out;
  count = 0;
  /** where the row opened last starts, for `drop` */
  protected rowAt = 0;

  /** `format`: how the annotation is written into the rows. */
  constructor(format: TextFormat) {
    this.out.format = format;
  }

  /** Writes the row's part before its annotation. */
  protected abstract head(b: TraceBatch, i: number): void;

  abstract close(b: TraceBatch, i: number, at: number): void;

  open(b: TraceBatch, i: number): void {
    this.rowAt = this.out.pos;
    this.count++;
    this.head(b, i);
  }

  drop(): void {
    this.out.pos = this.rowAt;
    this.count--;
  }

  /** The buffer back to the pool; once only, whatever the calls. */
  release(): void {
    this.lease.release();
  }

  /**
   * For rows that are the response's body: releases once both the caller is done writing (the
   * function returned, called in a `finally`) and `response` has closed (sent, failed, or the
   * client gone). On the close alone, a client gone in the middle of a scan would hand the buffer
   * to another request while the scan still writes into it.
   */
  releaseAfter(response: { once(event: "close", listener: () => void): unknown }): () => void {
    let keys = 2;
    const turn = () => {
      if (--keys === 0) this.release();
    };
    response.once("close", turn);
    return turn;
  }
}

/**
 * Annotation lines as the members of a JSON array of strings: each line ends in `","` (the row
 * writes the first quote and takes back the last `,"`), and text that is not plain is escaped as
 * JSON.stringify escapes it.
 */
const JSON_LINES: TextFormat = {
  lineEnd: latin1('","'),
  plain: plainAscii('"\\'),
  escape: (s) => JSON.stringify(s).slice(1, -1),
};

/**
 * The events API's answer written straight into bytes, row by row as the events come: the JSON
 * that JSON.stringify would give for the same EventRow objects (same keys, order and values),
 * without building them. A 500-event page is ~140 KB: as objects and strings it cost more in
 * allocation and garbage collection than the annotation itself (bench/src/api.bench.ts). The
 * annotator writes each row's "annotated" strings in place (JSON_LINES).
 */
export class JsonRows extends PooledRows {
  /** `head`: the answer's fields before the events, as JSON members ("trace":"..",...). */
  constructor(head: Record<string, unknown>) {
    super(JSON_LINES);
    const h = JSON.stringify(head);
    this.out.utf8(`${h.slice(0, -1)}${h.length > 2 ? "," : ""}"events":[`);
  }

  protected head(b: TraceBatch, i: number): void {
    const o = this.out;
    const kind = b.kind[i]!;
    const access = isAccess(kind);
    o.reserve(512);
    let buf = o.buf;
    let p = o.pos;
    if (this.count > 1) buf[p++] = 0x2c;
    p = putPiece(o.view, p, N_KEY);
    p = putDec(buf, p, b.start + i);
    p = putPiece(o.view, p, KIND_THEN_LINE[kind] ?? KIND_THEN_LINE[EventKind.INVALID]!);
    const lineAt = p;
    const line = putAccessLine(buf, p, b, i);
    if (line >= 0) {
      // A read or a write: its time is the line's second field ("R 4 12.345678 ..."), copied.
      p = putPiece(o.view, line, LINE_THEN_TIME);
      let k = lineAt + 2;
      while (buf[k] !== SP) k++;
      for (k++; buf[k] !== SP; k++) buf[p++] = buf[k]!;
      buf[p++] = QUOTE;
    } else {
      // Any other line, escaped (its closing quote included).
      o.pos = p;
      o.utf8(JSON.stringify(withoutEol(formatEvent(b, i))).slice(1));
      o.reserve(512);
      buf = o.buf;
      p = putPiece(o.view, o.pos, TIME_KEY);
      if (TIMED.has(kind)) {
        buf[p++] = QUOTE;
        p = putDec(buf, p, b.sec[i]!);
        buf[p++] = 0x2e;
        const usec = b.usec[i]!;
        p = usec <= 999_999 ? putDecPad(buf, p, usec, 6) : putDec(buf, p, usec);
        buf[p++] = QUOTE;
      } else p = putPiece(o.view, p, NULL);
    }
    if (!access) {
      // The annotation's strings follow: their first quote.
      o.pos = putPiece(o.view, putPiece(o.view, p, NO_DEVICE), NO_ACCESS);
      return;
    }
    const device = b.device[i]!;
    const bar = b.bar[i]!;
    if (device >= 0) {
      const known = bar >= 0 && bar < 8;
      p = putPiece(
        o.view,
        p,
        known ? deviceBar(device * 8 + bar) : new Piece(`,"device":${device},"bar":${bar},"offset":"0x`),
      );
      p = putHex64(buf, p, b.offsetLo[i]!, b.offsetHi[i]!, 6);
      buf[p++] = QUOTE;
    } else p = putPiece(o.view, p, NO_DEVICE);
    const width = b.width[i]!;
    p = putPiece(o.view, p, widthValue(width));
    const hi = b.valueHi[i]!;
    p = hi ? putHex(buf, putHex(buf, p, hi, 1), b.valueLo[i]!, 8) : putHex(buf, p, b.valueLo[i]!, width * 2);
    o.pos = putPiece(o.view, p, kind === EventKind.WRITE ? ACCESS_W : ACCESS_R);
  }

  close(_b: TraceBatch, _i: number, at: number): void {
    const o = this.out;
    // No annotation: the first quote taken back. Else its last line's `,"` is.
    o.pos = o.pos === at ? at - 1 : o.pos - 2;
    o.reserve(2);
    o.ascii("]}");
  }

  /**
   * The whole answer, `tail` (JSON members, "next":..) after the events: a view of the pooled
   * buffer, valid until `release`. Called once.
   */
  finish(tail: Record<string, unknown>): Buffer {
    const t = JSON.stringify(tail);
    this.out.utf8(`]${t.length > 2 ? `,${t.slice(1)}` : "}"}`);
    return this.out.buf.subarray(0, this.out.pos);
  }
}
