import { EventKind, type TraceBatch } from "@mmiohub/trace";

/** Which events of a range to keep. Any event passes a filter it does not mention. */
export interface EventFilter {
  /** BAR offset range, inclusive */
  offsetMin?: number;
  offsetMax?: number;
  /** register name prefix (case-insensitive), matched against the annotation */
  name?: string;
  access?: "r" | "w";
  bar?: number;
  /** time window in microseconds (seconds * 1e6 + usec), inclusive */
  fromUs?: number;
  toUs?: number;
}

const HEX = /^(?:0x)?[0-9a-f]+$/i;

/**
 * `register` as people write it: an offset (`0x001700`), a range (`0x1700-0x17ff`) or a register
 * name (`PMC.ID`, or a prefix such as `PFIFO.`). Returns undefined for an empty value.
 */
export function parseRegister(
  value: string | undefined,
): Pick<EventFilter, "offsetMin" | "offsetMax" | "name"> | null {
  if (value === undefined || value.trim() === "") return {};
  const v = value.trim();
  const range = v.split("-");
  if (range.length === 2 && HEX.test(range[0]!) && HEX.test(range[1]!) && v.toLowerCase().startsWith("0x")) {
    const a = Number.parseInt(range[0]!.replace(/^0x/i, ""), 16);
    const b = Number.parseInt(range[1]!.replace(/^0x/i, ""), 16);
    return a <= b ? { offsetMin: a, offsetMax: b } : null;
  }
  if (/^0x[0-9a-f]+$/i.test(v)) {
    const a = Number.parseInt(v.slice(2), 16);
    return { offsetMin: a, offsetMax: a };
  }
  if (/^[A-Za-z_][\w.[\]+]*$/.test(v) && v.length <= 128) return { name: v.toLowerCase() };
  return null;
}

/** "100.000200" (as the log prints it) or plain microseconds; exact, no floating point. */
export function parseTime(value: string | undefined): number | undefined | null {
  if (value === undefined || value === "") return undefined;
  const m = /^(\d{1,10})(?:\.(\d{1,6}))?$/.exec(value.trim());
  if (!m) return null;
  return Number(m[1]) * 1_000_000 + Number((m[2] ?? "").padEnd(6, "0"));
}

export function isAccess(kind: number): boolean {
  return kind === EventKind.READ || kind === EventKind.WRITE;
}

/** The checks that need no annotation. */
export function passesRow(f: EventFilter, b: TraceBatch, i: number): boolean {
  const kind = b.kind[i]!;
  const registerFilter =
    f.offsetMin !== undefined || f.name !== undefined || f.access !== undefined || f.bar !== undefined;
  if (registerFilter && !isAccess(kind)) return false;
  if (f.access !== undefined && (kind === EventKind.WRITE ? "w" : "r") !== f.access) return false;
  if (f.bar !== undefined && b.bar[i] !== f.bar) return false;
  if (f.offsetMin !== undefined) {
    const off = b.offsetHi[i]! * 0x100000000 + b.offsetLo[i]!;
    if (off < f.offsetMin || off > (f.offsetMax ?? f.offsetMin)) return false;
  }
  if (f.fromUs !== undefined || f.toUs !== undefined) {
    const t = b.sec[i]! * 1_000_000 + b.usec[i]!;
    if (t === 0) return false;
    if (f.fromUs !== undefined && t < f.fromUs) return false;
    if (f.toUs !== undefined && t > f.toUs) return false;
  }
  return true;
}

const NAME_OF_LINE = /^\[\d+\] \S+ MMIO\d+ [RW] 0x[0-9a-f]+ 0x[0-9a-f]+ (\S+)/;

/** The register name of an annotated access line (`PMC.ID`), or undefined. */
export function annotatedName(lines: readonly string[]): string | undefined {
  for (const l of lines) {
    const m = NAME_OF_LINE.exec(l);
    if (m) return m[1];
  }
  return undefined;
}
