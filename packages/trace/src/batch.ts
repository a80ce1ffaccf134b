// Events leave the parser as columns of typed arrays: one array per field, one row per event.
// Consumers index tens of millions of events without an object per event; rare details (marker
// text, lines the writer must echo verbatim) sit in a small side table.

/** Details of the few events that need more than numbers. */
export interface EventExtra {
  /** Row of the event in its batch. */
  readonly row: number;
  /**
   * MARK: the marker text; VERSION: the version string; PCIDEV: the driver name ("" when none);
   * LSPCI: the text after the keyword; UNKNOWN: the opcode bytes as printed ("8b,04,25");
   * MAP: the kernel virtual address as printed. Otherwise null.
   */
  readonly text: string | null;
  /**
   * The whole line (without its line ending) when the writer cannot rebuild it from the columns:
   * headers, UNKNOWN, CPU_LOST, MAP, lines with unusual formatting (zero-padded or upper-case hex)
   * and unparsable lines (those cut to `maxRawInvalid` characters). Null otherwise.
   */
  readonly raw: string | null;
}

/**
 * One batch of consecutive events. Every column has `length` rows. 64-bit quantities are split in
 * lo/hi uint32 halves so they stay exact; `value` of a READ of width 8 uses both.
 */
export interface TraceBatch {
  /** Event number (0-based, over the whole trace) of row 0. */
  readonly start: number;
  readonly length: number;
  /** EventKind of each row. */
  readonly kind: Uint8Array;
  /** Access width in bytes (1, 2, 4, 8) for READ/WRITE, 0 otherwise. */
  readonly width: Uint8Array;
  /** EventFlag bits. */
  readonly flags: Uint8Array;
  /** Timestamp: whole seconds and microseconds, exactly as printed (0 when the line has none). */
  readonly sec: Uint32Array;
  readonly usec: Uint32Array;
  /** Map id (R, W, MAP, UNMAP, UNKNOWN), cpu (CPU_LOST), -1 otherwise. */
  readonly mapId: Int32Array;
  /** Physical address (R, W, MAP, UNKNOWN). */
  readonly addrLo: Uint32Array;
  readonly addrHi: Uint32Array;
  /** Value (R, W), length (MAP), lost count (LOST, CPU_LOST). */
  readonly valueLo: Uint32Array;
  readonly valueHi: Uint32Array;
  /** Program counter of the access (0 unless the kernel ran with mmiotrace.trace_pc=1). */
  readonly pcLo: Uint32Array;
  readonly pcHi: Uint32Array;
  /** PID field (always 0 from the kernel; kept so the writer reproduces it). */
  readonly pid: Int32Array;
  /** Index into the device table (PCIDEV order) of the resolved access, or -1 (UNRESOLVED). */
  readonly device: Int16Array;
  /** PCI resource index (0-5 BARs, 6 ROM) of the resolved access, or -1. */
  readonly bar: Int8Array;
  /** Offset of the access within that BAR. */
  readonly offsetLo: Uint32Array;
  readonly offsetHi: Uint32Array;
  /** 1-based line number of the event in the text. */
  readonly line: Uint32Array;
  /** Byte offset of the start of the line in the text. */
  readonly byteOffset: Float64Array;
  /** Index into `extras` for the row, or -1. */
  readonly extra: Int32Array;
  readonly extras: readonly EventExtra[];
}

const BUILDER = Symbol("builder");

/** Mutable batch under construction; `capacity` rows are allocated once. */
export class BatchBuilder {
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

  constructor(readonly capacity: number) {
    // One allocation per batch, widest columns first so every view is aligned.
    const n = capacity;
    const mem = new ArrayBuffer(n * (8 + 4 * 14 + 2 + 1 * 4));
    let at = 0;
    const take = <T>(make: (buf: ArrayBuffer, offset: number, length: number) => T, bytes: number): T => {
      const view = make(mem, at, n);
      at += bytes * n;
      return view;
    };
    this.byteOffset = take((b, o, l) => new Float64Array(b, o, l), 8);
    this.sec = take((b, o, l) => new Uint32Array(b, o, l), 4);
    this.usec = take((b, o, l) => new Uint32Array(b, o, l), 4);
    this.mapId = take((b, o, l) => new Int32Array(b, o, l), 4);
    this.addrLo = take((b, o, l) => new Uint32Array(b, o, l), 4);
    this.addrHi = take((b, o, l) => new Uint32Array(b, o, l), 4);
    this.valueLo = take((b, o, l) => new Uint32Array(b, o, l), 4);
    this.valueHi = take((b, o, l) => new Uint32Array(b, o, l), 4);
    this.pcLo = take((b, o, l) => new Uint32Array(b, o, l), 4);
    this.pcHi = take((b, o, l) => new Uint32Array(b, o, l), 4);
    this.pid = take((b, o, l) => new Int32Array(b, o, l), 4);
    this.offsetLo = take((b, o, l) => new Uint32Array(b, o, l), 4);
    this.offsetHi = take((b, o, l) => new Uint32Array(b, o, l), 4);
    this.line = take((b, o, l) => new Uint32Array(b, o, l), 4);
    this.extra = take((b, o, l) => new Int32Array(b, o, l), 4);
    this.device = take((b, o, l) => new Int16Array(b, o, l), 2);
    this.bar = take((b, o, l) => new Int8Array(b, o, l), 1);
    this.kind = take((b, o, l) => new Uint8Array(b, o, l), 1);
    this.width = take((b, o, l) => new Uint8Array(b, o, l), 1);
    this.flags = take((b, o, l) => new Uint8Array(b, o, l), 1);
  }

  /** Attaches side-table details to row `row` (the current last row). */
  addExtra(row: number, text: string | null, raw: string | null): void {
    this.extra[row] = this.extras.length;
    this.extras.push({ row, text, raw });
  }

  /** A view of the filled rows. The views share memory with the builder. */
  view(): TraceBatch {
    const n = this.length;
    const view: TraceBatch = {
      start: this.start,
      length: n,
      kind: this.kind.subarray(0, n),
      width: this.width.subarray(0, n),
      flags: this.flags.subarray(0, n),
      sec: this.sec.subarray(0, n),
      usec: this.usec.subarray(0, n),
      mapId: this.mapId.subarray(0, n),
      addrLo: this.addrLo.subarray(0, n),
      addrHi: this.addrHi.subarray(0, n),
      valueLo: this.valueLo.subarray(0, n),
      valueHi: this.valueHi.subarray(0, n),
      pcLo: this.pcLo.subarray(0, n),
      pcHi: this.pcHi.subarray(0, n),
      pid: this.pid.subarray(0, n),
      device: this.device.subarray(0, n),
      bar: this.bar.subarray(0, n),
      offsetLo: this.offsetLo.subarray(0, n),
      offsetHi: this.offsetHi.subarray(0, n),
      line: this.line.subarray(0, n),
      byteOffset: this.byteOffset.subarray(0, n),
      extra: this.extra.subarray(0, n),
      extras: this.extras,
    };
    // A hidden link back for recycle(): not enumerable, so it stays out of JSON and comparisons,
    // and it lives exactly as long as the view.
    Object.defineProperty(view, BUILDER, { value: this, writable: true });
    return view;
  }

  /** The builder behind a view, once: a second call (a batch recycled twice) gives undefined. */
  static take(view: TraceBatch): BatchBuilder | undefined {
    const link = view as unknown as { [BUILDER]?: BatchBuilder };
    const b = link[BUILDER];
    if (b !== undefined) link[BUILDER] = undefined;
    return b;
  }
}
