import { type AddressInfo, decodeInto } from "@mmiohub/rnndb";
import type { Access } from "./access";
import type { AnnotationSink } from "./sink";
import { Piece, pieces, putPiece, TextBuffer, type TextFormat } from "./text-buffer";

const SP = 0x20;
const NL = 0x0a;
const DOT = 0x2e;

export interface DemmioWriterOptions {
  /** prefix SLEEP lines with the card: with several cards demmio's one global gap is ambiguous */
  multiCard?: boolean;
  /**
   * The buffer to write into, in its format (TextBuffer.format), instead of one of the writer's
   * own: a document being written around the annotation (the API's events rows) takes each
   * event's text in place.
   */
  out?: TextBuffer;
}

/** [" <= ", " => "] as a format writes them ("<" and ">" are not plain in HTML), made once per format */
const OPS = new WeakMap<TextFormat, [Piece, Piece]>();
const PLAIN_OPS: [Piece, Piece] = [new Piece(" <= "), new Piece(" => ")];
function opsOf(format: TextFormat | undefined): [Piece, Piece] {
  if (format === undefined) return PLAIN_OPS;
  let ops = OPS.get(format);
  if (!ops) {
    ops = [new Piece(format.escape(" <= ")), new Piece(format.escape(" => "))];
    OPS.set(format, ops);
  }
  return ops;
}
/** `[0] ` by card */
const CARD = pieces((card) => `[${card}] `);
/** ` MMIO32 W 0x` by width * 2 + (1 for a write) */
const MMIO = pieces((key) => ` MMIO${(key >> 1) * 8} ${key & 1 ? "W" : "R"} 0x`);
const SP_0X = new Piece(" 0x");
/**
 * ` RAMIN32 `, `, FB32 `, `, MEM32 `, `, BAR5_32 ` by (0 RAMIN, 1 FB, 2 MEM, 3 + BAR) * 16 + width
 * (an access is 1, 2, 4 or 8 bytes wide: both of the trace core's parsers refuse any other width)
 */
const APERTURE = pieces((key) => {
  const kind = key >> 4;
  const bits = (key & 15) * 8;
  if (kind === 0) return ` RAMIN${bits} `;
  if (kind < 3) return `, ${kind === 1 ? "FB" : "MEM"}${bits} `;
  return `, BAR${kind - 3}_${bits} `;
});

/**
 * Renders annotations in demmio's line format (as `demmio -c` prints them), straight into a
 * byte buffer. The caller decides when to take the text (`takeBytes` for output streams, `take`
 * for a string).
 */
export class DemmioWriter implements AnnotationSink {
  private readonly out: TextBuffer;
  /** " <= " and " => " in the buffer's format */
  private readonly ops: [Piece, Piece];
  /** length of the last register line up to its name: where demmio aligns split byte lines */
  private lastPrefix = 0;
  private lastSec = -1;
  /** the second's digits and the dot after them */
  private secDigits = new Piece("0.");

  constructor(readonly options: DemmioWriterOptions = {}) {
    this.out = options.out ?? new TextBuffer();
    this.ops = opsOf(this.out.format);
  }

  /** Bytes written since the last take. */
  get pending(): number {
    return this.out.pos;
  }

  takeBytes(): Buffer {
    return this.out.take();
  }

  take(): string {
    return this.out.takeString();
  }

  /** A line of the trace that passes through unchanged (MARK, MAP, PCIDEV, ...), line end included. */
  raw(text: string): void {
    const o = this.out;
    if (o.format === undefined) {
      o.utf8(text);
      return;
    }
    let end = text.length;
    if (text.charCodeAt(end - 1) === NL) end--;
    o.line(text.slice(0, end));
    o.eol();
  }

  /** The kernel's `Lost N events.` marker, flagged after the marker line itself. */
  lost(count: number): void {
    this.out.line(
      `LOST ${count} events: the kernel's buffer overflowed, accesses are missing before this point`,
    );
    this.out.eol();
  }

  sleep(card: number, gapUs: number): void {
    const o = this.out;
    o.reserve(64);
    if (this.options.multiCard) this.card(card);
    o.ascii("SLEEP ");
    o.dec(Math.floor(gapUs / 1000));
    o.byte(DOT);
    o.decPad(gapUs % 1000, 3);
    o.ascii("000ms");
    o.eol();
  }

  private card(card: number): void {
    const o = this.out;
    o.pos = putPiece(o.view, o.pos, CARD(card));
  }

  /** `[card] sec.usec` */
  private head(a: Access): void {
    const o = this.out;
    this.card(a.card);
    // consecutive lines mostly share the second: copy its digits instead of converting again
    if (a.sec !== this.lastSec) {
      this.lastSec = a.sec;
      this.secDigits = new Piece(`${a.sec}.`);
    }
    o.pos = putPiece(o.view, o.pos, this.secDigits);
    o.decPad(a.usec, 6);
  }

  private op(a: Access): void {
    const o = this.out;
    const op = this.ops[a.write ? 0 : 1]!;
    o.reserve(op.length + 3);
    o.pos = putPiece(o.view, o.pos, op);
  }

  register(a: Access, reg: AddressInfo, lo: number, hi: number, note: string | undefined): void {
    const o = this.out;
    o.reserve(96 + reg.name.length);
    const start = o.pos;
    this.head(a);
    o.pos = putPiece(o.view, o.pos, MMIO(a.width * 2 + (a.write ? 1 : 0)));
    o.hexNum(a.offset, 6);
    o.pos = putPiece(o.view, o.pos, SP_0X);
    o.hex64(a.valueLo, a.valueHi, 8);
    o.byte(SP);
    this.lastPrefix = o.pos - start;
    o.text(reg.name);
    this.op(a);
    decodeInto(o, reg.type, lo, hi, reg.width);
    if (note !== undefined) {
      o.text(" ");
      o.text(note);
    }
    o.eol();
  }

  registerByte(a: Access, _byte: number, reg: AddressInfo, value: number): void {
    const o = this.out;
    o.reserve(this.lastPrefix + 8);
    o.buf.fill(SP, o.pos, o.pos + this.lastPrefix);
    o.pos += this.lastPrefix;
    o.text(reg.name);
    this.op(a);
    decodeInto(o, reg.type, value, 0, reg.width);
    o.eol();
  }

  memory(a: Access, vramAddress: number): void {
    this.aperture(a, "MEM", vramAddress);
  }

  aperture(a: Access, kind: "FB" | "RAMIN" | "BAR" | "MEM", offset = a.offset): void {
    const o = this.out;
    o.reserve(96);
    this.head(a);
    // ", FB32 ", " RAMIN32 ", ", BAR5_32 " and the like: one piece by kind, BAR and width
    const key =
      (kind === "RAMIN" ? 0 : kind === "FB" ? 1 : kind === "MEM" ? 2 : 3 + (a.bar & 7)) * 16 + a.width;
    o.pos = putPiece(o.view, o.pos, APERTURE(key));
    o.hexNum(offset);
    this.op(a);
    o.hex64(a.valueLo, a.valueHi);
    o.eol();
  }

  crtc(a: Access, head: number, index: number, data: number, reg: AddressInfo | undefined): void {
    const o = this.out;
    o.reserve(96);
    this.head(a);
    o.ascii(" HEAD");
    o.dec(head);
    o.ascii(a.write ? " W     0x" : " R     0x");
    o.hex(index, 2);
    o.ascii("       0x");
    o.hex(data, 2);
    o.byte(SP);
    if (reg) o.text(reg.name);
    else o.altHex(index);
    this.op(a);
    if (reg) decodeInto(o, reg.type, data, 0, reg.width);
    else o.altHex(data);
    o.eol();
  }

  i2c(card: number, busOffset: number, busName: string, text: string): void {
    const o = this.out;
    o.reserve(64 + busName.length + text.length);
    this.card(card);
    o.ascii("I2C      0x");
    o.hex(busOffset, 6);
    o.ascii("            ");
    o.text(busName);
    o.byte(SP);
    o.text(text);
    o.eol();
  }
}
