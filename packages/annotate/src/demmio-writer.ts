import type { Access } from "./access";
import type { AnnotationSink } from "./sink";

function ts(sec: number, usec: number): string {
  return usec >= 100000 ? `${sec}.${usec}` : `${sec}.${usec.toString().padStart(6, "0")}`;
}

function value(a: Access): string {
  return a.valueHi === 0
    ? a.valueLo.toString(16)
    : a.valueHi.toString(16) + a.valueLo.toString(16).padStart(8, "0");
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : "0".repeat(n - s.length) + s;
}

export interface DemmioWriterOptions {
  /** prefix SLEEP lines with the card: with several cards demmio's one global gap is ambiguous */
  multiCard?: boolean;
}

/**
 * Renders annotations in demmio's line format (as `demmio -c` prints them). Text accumulates in
 * `take()`-able chunks so the caller decides when to write.
 */
export class DemmioWriter implements AnnotationSink {
  private out = "";
  private lastPrefix = 0;

  constructor(readonly options: DemmioWriterOptions = {}) {}

  /** The text written since the last call. */
  take(): string {
    const s = this.out;
    this.out = "";
    return s;
  }

  get pending(): number {
    return this.out.length;
  }

  /** A line of the trace that passes through unchanged (MARK, MAP, PCIDEV, ...), line end included. */
  raw(text: string): void {
    this.out += text;
  }

  /** The kernel's `Lost N events.` marker, flagged after the marker line itself. */
  lost(count: number): void {
    this.out += `LOST ${count} events: the kernel's buffer overflowed, accesses are missing before this point\n`;
  }

  sleep(card: number, gapUs: number): void {
    const ms = `${Math.floor(gapUs / 1000)}.${pad((gapUs % 1000).toString(), 3)}000ms`;
    this.out += this.options.multiCard ? `[${card}] SLEEP ${ms}\n` : `SLEEP ${ms}\n`;
  }

  register(a: Access, name: string, decoded: string, note: string | undefined): void {
    const prefix = `[${a.card}] ${ts(a.sec, a.usec)} MMIO${a.width * 8} ${a.write ? "W" : "R"} 0x${pad(a.offset.toString(16), 6)} 0x${pad(value(a), 8)} `;
    this.lastPrefix = prefix.length;
    const tail = note === undefined ? "\n" : ` ${note}\n`;
    this.out += `${prefix}${name} ${a.write ? "<=" : "=>"} ${decoded}${tail}`;
  }

  registerByte(a: Access, _byte: number, name: string, decoded: string): void {
    this.out += `${" ".repeat(this.lastPrefix)}${name} ${a.write ? "<=" : "=>"} ${decoded}\n`;
  }

  memory(a: Access, vramAddress: number): void {
    this.out += `[${a.card}] ${ts(a.sec, a.usec)}, MEM${a.width * 8} ${vramAddress.toString(16)} ${a.write ? "<=" : "=>"} ${value(a)}\n`;
  }

  aperture(a: Access, kind: "FB" | "RAMIN" | "BAR"): void {
    const op = a.write ? "<=" : "=>";
    const off = a.offset.toString(16);
    const t = ts(a.sec, a.usec);
    if (kind === "FB") this.out += `[${a.card}] ${t}, FB${a.width * 8} ${off} ${op} ${value(a)}\n`;
    else if (kind === "RAMIN") this.out += `[${a.card}] ${t} RAMIN${a.width * 8} ${off} ${op} ${value(a)}\n`;
    else this.out += `[${a.card}] ${t}, BAR${a.bar}_${a.width * 8} ${off} ${op} ${value(a)}\n`;
  }

  crtc(a: Access, head: number, index: number, data: number, name: string, decoded: string): void {
    this.out += `[${a.card}] ${ts(a.sec, a.usec)} HEAD${head} ${a.write ? "W" : "R"}     0x${pad(index.toString(16), 2)}       0x${pad(data.toString(16), 2)} ${name} ${a.write ? "<=" : "=>"} ${decoded}\n`;
  }

  i2c(card: number, busOffset: number, busName: string, text: string): void {
    this.out += `[${card}] I2C      0x${pad(busOffset.toString(16), 6)}            ${busName} ${text}\n`;
  }
}
