import { EventKind, type PciDevice, type TraceBatch } from "@mmiohub/trace";

/** One row of `register_stat`, keyed by device index (the saver turns it into the card index). */
export interface RegisterStatRow {
  device: number;
  bar: number;
  /** The register's offset in its BAR, or the start of the page for rows that stand for one. */
  offset: number;
  /** Bytes of the BAR the row stands for: 1 (one register, at `offset`) or PAGE_BYTES. */
  span: number;
  reads: number;
  writes: number;
  firstEvent: number;
  lastEvent: number;
}

export interface RegisterStatsParts {
  maxRegisters: number;
  size: number;
  truncated: boolean;
  keys: Float64Array<ArrayBuffer>;
  reads: Float64Array<ArrayBuffer>;
  writes: Float64Array<ArrayBuffer>;
  first: Float64Array<ArrayBuffer>;
  last: Float64Array<ArrayBuffer>;
  grain: Uint8Array<ArrayBufferLike>;
  devices: readonly PciDevice[];
}

/** Accesses to memory apertures are counted per page of this size. */
export const PAGE_BYTES = 4096;
const PAGE_LOW = PAGE_BYTES - 1;
/** NVIDIA's PRAMIN: a 1 MiB window of BAR0 onto VRAM (0x700000-0x7fffff) on every generation. */
const PRAMIN_START = 0x700000;
const PRAMIN_END = 0x800000;

const EXACT = 0;
const PAGED = 1;
const PAGED_PRAMIN = 2;

/**
 * How a (device, BAR) is counted. Register spaces are non-prefetchable memory BARs (and I/O
 * ports): every offset is its own row. A prefetchable memory BAR is a memory aperture (NVIDIA's
 * BAR1 framebuffer and BAR3 instance memory, AMD's VRAM BAR): a driver clearing or uploading VRAM
 * through it touches millions of offsets nobody searches for one by one, so it is counted per
 * 4 KiB page. The same goes for NVIDIA's PRAMIN window inside BAR0.
 */
function granularity(d: PciDevice, bar: number): number {
  const b = d.bars.find((x) => x.index === bar);
  if (b && b.space === "memory" && b.prefetchable) return PAGED;
  if (d.vendor === 0x10de && bar === 0) return PAGED_PRAMIN;
  return EXACT;
}

const TWO32 = 2 ** 32;
// key = ((device * 8 + bar) * 256 + offsetHi) * 2^32 + offsetLo: exact below 2^53 for
// devices < 1024 and offsets < 1 TiB
const BAR_SHIFT = 2 ** 40;

/**
 * Per-register access counts (reads, writes, first and last event) by card, BAR and offset;
 * memory apertures per page (see `granularity`), so a realistic trace stays far below the cap.
 * Memory grows with the number of distinct rows, not with the trace: once `maxRegisters`
 * distinct ones were seen, new ones are no longer added (`truncated` says so, and the trace
 * gets a stored warning).
 */
export class RegisterStats {
  // Open addressing on typed arrays: a Map keyed by numbers above 2^31 boxes every key (one
  // allocation per access), which measured as the largest cost of the pass.
  private table = new Int32Array(1 << 12).fill(-1);
  private mask = (1 << 12) - 1;
  private keys = new Float64Array(1024);
  private reads = new Float64Array(1024);
  private writes = new Float64Array(1024);
  private first = new Float64Array(1024);
  private last = new Float64Array(1024);
  private size = 0;
  truncated = false;
  /** EXACT, PAGED or PAGED_PRAMIN by device * 8 + BAR, for the devices seen so far. */
  private grain: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  private devices: readonly PciDevice[] = [];

  constructor(private readonly maxRegisters = 500_000) {}

  /** Counts the accesses of a batch; `devices` is the trace's device table (PCIDEV lines). */
  add(b: TraceBatch, devices: readonly PciDevice[]): void {
    if (devices !== this.devices) this.learn(devices);
    const grain = this.grain;
    const { kind, device, bar, offsetLo, offsetHi } = b;
    let lastKey = -1;
    let slot = -1;
    for (let i = 0; i < b.length; i++) {
      const k = kind[i]!;
      if (k !== EventKind.READ && k !== EventKind.WRITE) continue;
      const dev = device[i]!;
      if (dev < 0 || dev >= 1024) continue;
      const hi = offsetHi[i]!;
      if (hi >= 256) continue;
      const br = bar[i]!;
      if (br < 0) continue;
      let lo = offsetLo[i]!;
      const g = grain[dev * 8 + br];
      if (
        g !== undefined &&
        g !== EXACT &&
        (g === PAGED || (lo >= PRAMIN_START && lo < PRAMIN_END && hi === 0))
      )
        lo -= lo & PAGE_LOW;
      const tag = (dev * 8 + br) * 256 + hi; // < 2^21
      const key = tag * TWO32 + lo;
      if (key !== lastKey) {
        slot = this.find(key, lo, tag);
        if (slot < 0) {
          if (this.size >= this.maxRegisters) {
            this.truncated = true;
            lastKey = -1;
            continue;
          }
          slot = this.insert(key, lo, tag, b.start + i);
        }
        lastKey = key;
      }
      if (k === EventKind.READ) this.reads[slot]!++;
      else this.writes[slot]!++;
      this.last[slot] = b.start + i;
    }
  }

  private learn(devices: readonly PciDevice[]): void {
    this.devices = devices;
    this.grain = new Uint8Array(Math.min(devices.length, 1024) * 8);
    devices.forEach((d, dev) => {
      if (dev >= 1024) return;
      for (let bar = 0; bar < 8; bar++) this.grain[dev * 8 + bar] = granularity(d, bar);
    });
  }

  /** Bytes one row of this device, BAR and offset stands for. */
  private spanOf(dev: number, bar: number, offset: number): number {
    const g = this.grain[dev * 8 + bar] ?? EXACT;
    if (g === PAGED || (g === PAGED_PRAMIN && offset >= PRAMIN_START && offset < PRAMIN_END))
      return PAGE_BYTES;
    return 1;
  }

  /** Devices and BARs counted per page, for the processing notes ("01:00.0 BAR1"). */
  pagedBars(): string[] {
    const out: string[] = [];
    this.devices.forEach((d, dev) => {
      for (let bar = 0; bar < 8; bar++) {
        const g = this.grain[dev * 8 + bar];
        if (g === PAGED) out.push(`${d.slot} BAR${bar}`);
        else if (g === PAGED_PRAMIN && bar === 0) out.push(`${d.slot} BAR0 PRAMIN window`);
      }
    });
    return out;
  }

  private hash(lo: number, tag: number): number {
    return (Math.imul(lo ^ (lo >>> 15), 0x2c1b3c6d) ^ Math.imul(tag, 0x297a2d39)) & this.mask;
  }

  private find(key: number, lo: number, tag: number): number {
    let h = this.hash(lo, tag);
    for (;;) {
      const s = this.table[h]!;
      if (s < 0 || this.keys[s] === key) return s;
      h = (h + 1) & this.mask;
    }
  }

  private insert(key: number, lo: number, tag: number, event: number): number {
    if (this.size === this.keys.length) {
      const grow = (a: Float64Array) => {
        const n = new Float64Array(Math.max(1024, a.length * 2));
        n.set(a);
        return n;
      };
      this.keys = grow(this.keys);
      this.reads = grow(this.reads);
      this.writes = grow(this.writes);
      this.first = grow(this.first);
      this.last = grow(this.last);
    }
    const slot = this.size++;
    this.keys[slot] = key;
    this.first[slot] = event;
    this.last[slot] = event;
    if (this.size * 2 > this.table.length) this.rehash();
    else {
      let h = this.hash(lo, tag);
      while (this.table[h]! >= 0) h = (h + 1) & this.mask;
      this.table[h] = slot;
    }
    return slot;
  }

  private rehash(): void {
    this.table = new Int32Array(this.table.length * 2).fill(-1);
    this.mask = this.table.length - 1;
    for (let s = 0; s < this.size; s++) {
      const key = this.keys[s]!;
      const tag = Math.floor(key / TWO32);
      const lo = key - tag * TWO32;
      let h = this.hash(lo, tag);
      while (this.table[h]! >= 0) h = (h + 1) & this.mask;
      this.table[h] = s;
    }
  }

  /**
   * The table's contents as plain data, to move from the indexing thread (its arrays are handed
   * over, not copied: this object is done with once they are sent).
   */
  parts(): RegisterStatsParts {
    return {
      maxRegisters: this.maxRegisters,
      size: this.size,
      truncated: this.truncated,
      keys: this.keys,
      reads: this.reads,
      writes: this.writes,
      first: this.first,
      last: this.last,
      grain: this.grain,
      devices: this.devices,
    };
  }

  /** The statistics again from parts() (arrays adopted as they are). */
  static fromParts(p: RegisterStatsParts): RegisterStats {
    const r = new RegisterStats(p.maxRegisters);
    r.keys = p.keys;
    r.reads = p.reads;
    r.writes = p.writes;
    r.first = p.first;
    r.last = p.last;
    r.size = p.size;
    r.truncated = p.truncated;
    r.grain = p.grain;
    r.devices = p.devices;
    let table = 1 << 12;
    while (table < p.size * 2) table *= 2;
    r.table = new Int32Array(table / 2);
    r.rehash();
    return r;
  }

  get count(): number {
    return this.size;
  }

  /** Rows in (device, bar, offset) order. */
  *rows(): Generator<RegisterStatRow> {
    const order = Array.from({ length: this.size }, (_, i) => i).sort(
      (a, b) => this.keys[a]! - this.keys[b]!,
    );
    for (const s of order) {
      const key = this.keys[s]!;
      const cb = Math.floor(key / BAR_SHIFT);
      const device = Math.floor(cb / 8);
      const bar = cb % 8;
      const offset = key - cb * BAR_SHIFT;
      yield {
        device,
        bar,
        offset,
        span: this.spanOf(device, bar, offset),
        reads: this.reads[s]!,
        writes: this.writes[s]!,
        firstEvent: this.first[s]!,
        lastEvent: this.last[s]!,
      };
    }
  }
}
