// Deterministic generator of realistic mmiotrace text (kernel format) of any size, for benchmarks.
// A seeded PRNG drives a mix modelled on NVIDIA driver dumps: hot registers (PTIMER, PMC, PFIFO,
// PGRAPH status polling), PRAMIN window accesses (0x1700 base + 0x700000 window), VGA CRTC
// index/data byte pairs, framebuffer (BAR1) writes, cold registers, 8/16-bit accesses, remaps,
// markers and lost-event notices. Bytes are written straight into buffers: generation must not
// be the bottleneck of the benchmark that reads it.
//
//   npx tsx bench/src/generate-trace.ts --size 500M --seed 1 > /tmp/trace.mmiotrace
//
// Sizes are decimal (K = 1e3, M = 1e6, G = 1e9). The output ends with a complete line, so it is
// at least `size` bytes and at most one line longer.
import { once } from "node:events";
import type { Writable } from "node:stream";
import { pathToFileURL } from "node:url";

export interface GenerateOptions {
  /** Bytes to produce (at least; the last line is completed). */
  readonly size: number;
  readonly seed?: number;
  /** Bytes per chunk yielded (default 256 KiB). */
  readonly chunkSize?: number;
  /** Print kernel PCs as with `mmiotrace.trace_pc=1` (default false: `0x0`). */
  readonly withPc?: boolean;
}

const BAR0 = 0xf6000000;
const BAR1 = 0xe0000000;
const BAR3 = 0xe8000000;

const HEADER =
  "VERSION 20070824\n" +
  "PCIDEV 0000 80863e30 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 \n" +
  "PCIDEV 00f8 8086a305 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 \n" +
  "PCIDEV 0100 10de2484 9a f6000000 e000000c 0 e800000c 0 e001 f7000000 1000000 10000000 0 2000000 0 80 80000 nvidia\n" +
  "PCIDEV 0101 10de228b 11 f7080000 0 0 0 0 0 0 4000 0 0 0 0 0 0 snd_hda_intel\n";

/** Registers a driver polls and pokes all the time (BAR0 offsets). */
const HOT = [
  0x000100, 0x000140, 0x000200, 0x001100, 0x001140, 0x002100, 0x002140, 0x002254, 0x002500, 0x009400,
  0x009410, 0x009400, 0x009410, 0x00b000, 0x00b004, 0x00e138, 0x00e150, 0x020004, 0x022404, 0x022430,
  0x040000, 0x070000, 0x088000, 0x100c80, 0x100cb8, 0x100cbc, 0x100e10, 0x10a040, 0x10a04c, 0x10a1c0,
  0x10a1c4, 0x110000, 0x122204, 0x12004c, 0x400100, 0x400700, 0x404000, 0x409800, 0x409b00, 0x610000,
  0x610010, 0x610024, 0x610200, 0x611200, 0x612004, 0x616300, 0x619000, 0x61d000,
];

const DIGITS = new Uint8Array(Array.from("0123456789abcdef", (c) => c.charCodeAt(0)));

class Writer {
  buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  str(s: string): void {
    this.pos += this.buf.write(s, this.pos, "latin1");
  }
  byte(c: number): void {
    this.buf[this.pos++] = c;
  }
  dec(v: number): void {
    if (v < 10) {
      this.buf[this.pos++] = 48 + v;
      return;
    }
    let n = 0;
    for (let x = v; x > 0; x = Math.floor(x / 10)) n++;
    for (let i = n - 1, x = v; i >= 0; i--, x = Math.floor(x / 10)) this.buf[this.pos + i] = 48 + (x % 10);
    this.pos += n;
  }
  /** `0x` + minimal lower-case hex of an unsigned 32-bit value. */
  hex(v: number): void {
    this.buf[this.pos++] = 48;
    this.buf[this.pos++] = 120;
    this.hexDigits(v >>> 0);
  }
  hexDigits(v: number): void {
    let n = 1;
    while (n < 8 && v >>> (4 * n) !== 0) n++;
    for (let i = n - 1; i >= 0; i--) this.buf[this.pos++] = DIGITS[(v >>> (4 * i)) & 15]!;
  }
  /** `0x` + hex of hi:lo (hi nonzero). */
  hex64(hi: number, lo: number): void {
    this.hex(hi);
    for (let i = 7; i >= 0; i--) this.buf[this.pos++] = DIGITS[(lo >>> (4 * i)) & 15]!;
  }
  usec(v: number): void {
    for (let i = 5; i >= 0; i--, v = Math.floor(v / 10)) this.buf[this.pos + i] = 48 + (v % 10);
    this.pos += 6;
  }
}

/** The trace as a sequence of chunks. */
export function* generateTrace(options: GenerateOptions): Generator<Buffer> {
  const chunkSize = options.chunkSize ?? 256 * 1024;
  const withPc = options.withPc ?? false;
  let seed = (options.seed ?? 1) >>> 0 || 1;
  // xorshift32: fast, deterministic, good enough for a workload mix.
  const rand = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    return seed;
  };
  let total = 0;
  let sec = 100;
  let usec = 0;
  let events = 0;
  let phase = 0;
  let pramin = 0x30;
  let praminOff = 0;
  let nextMapId = 4;
  let scratchMap = 0;
  let fbOff = 0;
  const w = new Writer(chunkSize + 512);

  const tick = (max: number): void => {
    usec += rand() % max;
    if (usec >= 1_000_000) {
      sec += Math.floor(usec / 1_000_000);
      usec %= 1_000_000;
    }
  };
  const stamp = (): void => {
    w.dec(sec);
    w.byte(46);
    w.usec(usec);
  };
  const access = (write: boolean, width: number, mapId: number, addr: number, value: number): void => {
    w.byte(write ? 87 : 82);
    w.byte(32);
    w.byte(48 + width);
    w.byte(32);
    stamp();
    w.byte(32);
    w.dec(mapId);
    w.byte(32);
    w.hex(addr);
    w.byte(32);
    w.hex(value);
    w.byte(32);
    if (withPc) w.hex64(0xffffffff, 0xc0200000 + (rand() & 0xfffff));
    else w.hex(0);
    w.str(" 0\n");
  };
  const map = (id: number, phys: number, len: number): void => {
    w.str("MAP ");
    stamp();
    w.byte(32);
    w.dec(id);
    w.byte(32);
    w.hex(phys);
    w.byte(32);
    w.hex64(0xffffc900, 0x10000000 + id * 0x1000000);
    w.byte(32);
    w.hex(len);
    w.str(" 0x0 0\n");
  };

  w.str(HEADER);
  w.str("MARK ");
  stamp();
  w.str(" generated trace start\n");
  map(1, BAR0, 0x1000000);
  map(2, BAR1, 0x1000000);
  map(3, BAR3, 0x200000);

  for (;;) {
    const r = rand();
    const pick = r % 1000;
    tick(40);
    if (pick < 350) {
      const reg = HOT[(r >>> 10) % HOT.length]!;
      access(
        false,
        4,
        1,
        BAR0 + reg,
        reg === 0x9400 ? usec * 1000 : rand() & (r & 0x100000 ? 0xff : 0xffffffff),
      );
    } else if (pick < 550) {
      const reg = HOT[(r >>> 10) % HOT.length]!;
      access(true, 4, 1, BAR0 + reg, rand() & 0xffff);
    } else if (pick < 700) {
      if (praminOff >= 0x100000 || (r & 0xff00) === 0) {
        pramin = (pramin + 1) & 0xffff;
        praminOff = 0;
        access(true, 4, 1, BAR0 + 0x1700, pramin);
      }
      access((r & 0x10000) !== 0, 4, 1, BAR0 + 0x700000 + praminOff, rand());
      praminOff += 4;
    } else if (pick < 750) {
      const head = r & 0x10000 ? 0x2000 : 0;
      access(true, 1, 1, BAR0 + 0x6013d4 + head, (r >>> 20) & 0x3f);
      access((r & 0x20000) !== 0, 1, 1, BAR0 + 0x6013d5 + head, rand() & 0xff);
    } else if (pick < 850) {
      access(true, 4, 2, BAR1 + fbOff, rand());
      fbOff = (fbOff + 4) & 0xfffffc;
    } else if (pick < 900) {
      access((r & 0x10000) !== 0, 4, 3, BAR3 + ((r >>> 8) & 0x1ffffc), rand());
    } else if (pick < 980) {
      access((r & 0x10000) !== 0, 4, 1, BAR0 + ((rand() & 0xfffffc) >>> 0), rand());
    } else if (pick < 990) {
      access((r & 0x10000) !== 0, 2, 1, BAR0 + 0x88000 + ((r >>> 12) & 0xfe), rand() & 0xffff);
    } else if (pick < 999 || (r & 0x70000) !== 0) {
      // 8-byte accesses: the value is printed with all 64 bits.
      w.byte(r & 0x10000 ? 87 : 82);
      w.str(" 8 ");
      stamp();
      w.str(" 3 ");
      w.hex(BAR3 + ((r >>> 8) & 0x1ffff8));
      w.byte(32);
      w.hex64(rand() | 1, rand());
      w.str(" 0x0 0\n");
    } else {
      // A driver remaps small scratch regions now and then (about one event in 8000).
      if (scratchMap !== 0) {
        w.str("UNMAP ");
        stamp();
        w.byte(32);
        w.dec(scratchMap);
        w.str(" 0x0 0\n");
      }
      scratchMap = nextMapId++;
      map(scratchMap, BAR0 + 0x100000 * ((r >>> 12) & 0xf), 0x1000);
      access(false, 4, scratchMap, BAR0 + 0x100000 * ((r >>> 12) & 0xf) + ((r >>> 20) & 0xffc), rand());
    }
    events++;
    if (events % 50_000 === 0) {
      w.str("MARK ");
      stamp();
      w.str(` phase ${++phase}: running workload step\n`);
    }
    if (events % 400_000 === 0) {
      const lost = 1000 + (rand() % 50_000);
      tick(1);
      sec += 1;
      w.str(`MARK 0.000000 Lost ${lost} events.\n`);
    }
    if (w.pos >= chunkSize) {
      total += w.pos;
      const done = total >= options.size;
      yield Buffer.from(w.buf.subarray(0, w.pos));
      w.pos = 0;
      if (done) return;
    } else if (total + w.pos >= options.size) {
      yield Buffer.from(w.buf.subarray(0, w.pos));
      return;
    }
  }
}

/** Writes the trace to a stream, honouring backpressure. */
export async function writeTrace(out: Writable, options: GenerateOptions): Promise<number> {
  let n = 0;
  for (const chunk of generateTrace(options)) {
    n += chunk.length;
    if (!out.write(chunk)) await once(out, "drain");
  }
  return n;
}

/** "500M" -> 500000000. */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg]?)b?$/i.exec(s.trim());
  if (!m) throw new Error(`bad size: ${s}`);
  const mult = { "": 1, k: 1e3, m: 1e6, g: 1e9 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  return Math.round(Number(m[1]) * mult);
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const size = parseSize(arg("--size") ?? "100M");
  const seed = Number(arg("--seed") ?? "1");
  await writeTrace(process.stdout, { size, seed, withPc: argv.includes("--pc") });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
