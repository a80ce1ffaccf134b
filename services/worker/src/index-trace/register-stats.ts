import { EventKind, type TraceBatch } from "@mmiohub/trace";

/** One row of `register_stat`, keyed by device index (the saver turns it into the card index). */
export interface RegisterStatRow {
  device: number;
  bar: number;
  offset: number;
  reads: number;
  writes: number;
  firstEvent: number;
  lastEvent: number;
}

const TWO32 = 2 ** 32;
// key = ((device * 8 + bar) * 256 + offsetHi) * 2^32 + offsetLo: exact below 2^53 for
// devices < 1024 and offsets < 1 TiB
const BAR_SHIFT = 2 ** 40;

/**
 * Per-register access counts (reads, writes, first and last event) by card, BAR and offset.
 * Memory grows with the number of distinct registers, not with the trace: once `maxRegisters`
 * distinct ones were seen, new ones are no longer added (`truncated` says so) — a trace writing
 * the whole framebuffer through BAR1 touches millions of "registers" that nobody searches for.
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

  constructor(private readonly maxRegisters = 500_000) {}

  add(b: TraceBatch): void {
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
      const lo = offsetLo[i]!;
      const tag = (dev * 8 + bar[i]!) * 256 + hi; // < 2^21
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
        const n = new Float64Array(a.length * 2);
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
      yield {
        device: Math.floor(cb / 8),
        bar: cb % 8,
        offset: key - cb * BAR_SHIFT,
        reads: this.reads[s]!,
        writes: this.writes[s]!,
        firstEvent: this.first[s]!,
        lastEvent: this.last[s]!,
      };
    }
  }
}
