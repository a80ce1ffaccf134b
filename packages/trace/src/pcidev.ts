// PCIDEV lines: `PCIDEV %02x%02x %04x%04x %x` + 7 resource starts (flag bits OR'ed into the low
// bits) + 7 sizes + ` %s` driver name (empty: the line ends in a space).
import type { PciBar, PciDevice } from "./model-types";
import { hex64 } from "./model-types";
import type { Scanner } from "./scanner";

export interface ParsedBar extends PciBar {
  /** Start and size as numbers, for the resolver (exact below 2^53, which covers any real address). */
  readonly startNum: number;
  readonly sizeNum: number;
}

export interface ParsedDevice extends PciDevice {
  readonly bars: readonly ParsedBar[];
}

const hex2 = (n: number) => n.toString(16).padStart(2, "0");
const TWO32 = 4294967296;

/** Parses the fields after `PCIDEV ` (scanner positioned there). Null when malformed. */
export function parsePcidev(sc: Scanner, index: number, line: number, text: string): ParsedDevice | null {
  const start = sc.pos;
  if (!sc.hex64(false) || sc.pos - start !== 4) return null;
  const busdevfn = sc.lo;
  if (!sc.space()) return null;
  const idStart = sc.pos;
  if (!sc.hex64(false) || sc.pos - idStart !== 8) return null;
  const ids = sc.lo;
  if (!sc.space() || !sc.hex64(false)) return null;
  const irq = sc.lo;
  const starts: number[] = [];
  for (let i = 0; i < 14; i++) {
    if (!sc.space() || !sc.hex64(false)) return null;
    starts.push(sc.lo, sc.hi);
  }
  let driver: string | null = null;
  if (sc.space()) driver = text.slice(sc.pos - start + "PCIDEV ".length);
  else if (!sc.atEnd()) return null;
  if (driver === "") driver = null;
  const bars: ParsedBar[] = [];
  for (let i = 0; i < 7; i++) {
    const rawLo = starts[2 * i]!;
    const rawHi = starts[2 * i + 1]!;
    const sizeLo = starts[14 + 2 * i]!;
    const sizeHi = starts[15 + 2 * i]!;
    const io = (rawLo & 1) === 1;
    const lo = (rawLo & (io ? ~3 : ~15)) >>> 0;
    bars.push({
      index: i,
      raw: hex64(rawLo, rawHi),
      start: hex64(lo, rawHi),
      size: hex64(sizeLo, sizeHi),
      space: io ? "io" : "memory",
      is64: !io && ((rawLo >>> 1) & 3) === 2,
      prefetchable: !io && (rawLo & 8) !== 0,
      startNum: rawHi * TWO32 + lo,
      sizeNum: sizeHi * TWO32 + sizeLo,
    });
  }
  const bus = busdevfn >>> 8;
  const devfn = busdevfn & 0xff;
  const vendor = ids >>> 16;
  const device = ids & 0xffff;
  return {
    index,
    slot: `${hex2(bus)}:${hex2(devfn >>> 3)}.${devfn & 7}`,
    bus,
    devfn,
    vendor,
    device,
    id: `${vendor.toString(16).padStart(4, "0")}:${device.toString(16).padStart(4, "0")}`,
    irq,
    bars,
    driver,
    line,
    text,
  };
}

/** The JSON-able view (without the resolver's numeric fields). */
export function publicDevice(d: ParsedDevice): PciDevice {
  return {
    ...d,
    bars: d.bars.map(({ startNum: _s, sizeNum: _z, ...bar }) => bar),
  };
}
