import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createParser, type TraceBatch, type TraceSummary } from "@mmiohub/trace";
import { createEventStoreWriter, type EventStoreWriterOptions } from "../src/index";

export const SHARED = process.env.MMIOHUB_SHARED ?? new URL("../../../../shared", import.meta.url).pathname;
export const sample = (name: string) => readFileSync(join(SHARED, "samples", name));

export function parse(text: Uint8Array): { batches: TraceBatch[]; summary: TraceSummary } {
  const batches: TraceBatch[] = [];
  const parser = createParser({ batchSize: 1000, onBatch: (b) => batches.push(b) });
  parser.feed(text);
  const summary = parser.end();
  return { batches, summary };
}

/** Builds a store in memory; checkpoints hold `{ at: n }` (or null at 0). */
export function build(batches: TraceBatch[], options: EventStoreWriterOptions = {}): Uint8Array {
  const w = createEventStoreWriter({ checkpointFormat: "test/at@1", ...options });
  const chunks: Uint8Array[] = [];
  for (const b of batches) {
    let row = 0;
    while (row < b.length) {
      const until = Math.min(b.length, row + (w.nextCheckpoint - w.events));
      if (until > row) {
        chunks.push(...w.add(b, row, until));
        row = until;
      }
      if (w.events === w.nextCheckpoint)
        chunks.push(...w.checkpoint(w.events, w.events === 0 ? null : { at: w.events }));
    }
  }
  chunks.push(...w.finish({ hello: "app" }).chunks);
  return Buffer.concat(chunks);
}

/** A readRange over bytes that counts what was read. */
export function memoryRange(bytes: Uint8Array) {
  const stats = { calls: 0, bytes: 0 };
  const read = async (start: number, end: number) => {
    stats.calls++;
    stats.bytes += end - start;
    // an unaligned copy, as a stream's Buffer can be
    const out = Buffer.allocUnsafe(end - start + 1).subarray(1);
    out.set(bytes.subarray(start, end));
    return out;
  };
  return { read, stats };
}

/** A varied synthetic trace: accesses through two mappings, markers, gaps, 8-byte values, odd lines. */
export function synthetic(lines: number, seed = 7): string {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
  const out = [
    "VERSION 20070824",
    "PCIDEV 0100 10de0fc6 1a f6000000 e000000c 0 e800000c 0 e001 f7000000 1000000 8000000 0 2000000 0 80 80000 nvidia",
    "MAP 100.000100 1 0xf6000000 0xffffc90010000000 0x1000000 0x0 0",
    "MAP 100.000100 2 0xe0000000 0xffffc90020000000 0x8000000 0x0 0",
  ];
  let t = 100_000_200;
  for (let i = 0; i < lines; i++) {
    t += rnd() < 0.01 ? Math.floor(rnd() * 5_000_000) : Math.floor(rnd() * 40);
    const ts = `${Math.floor(t / 1e6)}.${String(t % 1e6).padStart(6, "0")}`;
    const r = rnd();
    if (r < 0.005) out.push(`MARK ${ts} phase ${i} \u00e9t\u00e9`);
    else if (r < 0.007) out.push(`MARK 0.000000 Lost ${1 + Math.floor(rnd() * 100)} events.`);
    else if (r < 0.008) out.push("this line is garbage");
    else if (r < 0.009) out.push(`R 4 ${ts} 9 0xdead0000 0x1 0x0 0`);
    else if (r < 0.3) {
      const off = Math.floor(rnd() * 0x800000) & ~3;
      out.push(
        `W 4 ${ts} 2 0x${(0xe0000000 + off).toString(16)} 0x${Math.floor(rnd() * 2 ** 32).toString(16)} 0x0 0`,
      );
    } else if (r < 0.31) out.push(`R 8 ${ts} 1 0xf6001000 0x123456789abcdef0 0xffffffffc0ffee00 0`);
    else {
      const off = Math.floor(rnd() * 0x1000000) & ~3;
      const kind = rnd() < 0.5 ? "R" : "W";
      out.push(
        `${kind} 4 ${ts} 1 0x${(0xf6000000 + off).toString(16)} 0x${Math.floor(rnd() * 2 ** 32).toString(16)} 0x0 0`,
      );
    }
  }
  out.push(`UNMAP ${Math.floor(t / 1e6) + 1}.000000 1 0x0 0`);
  return `${out.join("\r\n")}\r\n`;
}
