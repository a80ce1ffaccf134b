import { createParser, EventKind, type TraceBatch } from "@mmiohub/trace";
import { describe, expect, it } from "vitest";
import { PAGE_BYTES, RegisterStats } from "../src/index-trace/register-stats";
import { bigTrace } from "./worker-process";

describe("register statistics", () => {
  const text = bigTrace(60_000, 3);
  const naive = new Map<string, { reads: number; writes: number; first: number; last: number }>();
  const stats = new RegisterStats();
  const small = new RegisterStats(100);
  const parser = createParser({
    batchSize: 777,
    onBatch: (b) => {
      stats.add(b, parser.devices());
      small.add(b, parser.devices());
      for (let i = 0; i < b.length; i++) {
        const k = b.kind[i]!;
        if ((k !== EventKind.READ && k !== EventKind.WRITE) || b.device[i]! < 0) continue;
        const key = `${b.device[i]}:${b.bar[i]}:${b.offsetLo[i]}`;
        const e = b.start + i;
        const r = naive.get(key) ?? { reads: 0, writes: 0, first: e, last: e };
        if (k === EventKind.READ) r.reads++;
        else r.writes++;
        r.last = e;
        naive.set(key, r);
      }
    },
  });
  parser.feed(text);
  parser.end();

  it("counts reads, writes, first and last event of every register like a plain map does", () => {
    const rows = [...stats.rows()];
    expect(stats.truncated).toBe(false);
    expect(rows.length).toBe(naive.size);
    expect(rows.length).toBeGreaterThan(4000); // the table grew (rehashed) twice
    for (const r of rows) {
      const n = naive.get(`${r.device}:${r.bar}:${r.offset}`)!;
      expect([r.span, r.reads, r.writes, r.firstEvent, r.lastEvent]).toEqual([
        1,
        n.reads,
        n.writes,
        n.first,
        n.last,
      ]);
    }
    const offsets = rows.map((r) => r.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b)); // one device, one BAR: offset order
  });

  it("stops adding registers at its limit and says so", () => {
    expect(small.count).toBe(100);
    expect(small.truncated).toBe(true);
  });
});

describe("register statistics of memory apertures", () => {
  // BAR0 registers, a framebuffer clear through BAR1 (prefetchable: e000000c) over 4 MiB — a
  // million distinct offsets — and NVIDIA's PRAMIN window in BAR0, as a driver writes them.
  const lines = [
    "VERSION 20070824",
    "PCIDEV 0100 10de0fc6 1a f6000000 e000000c 0 e800000c 0 e001 f7000000 1000000 8000000 0 2000000 0 80 80000 nvidia",
    "MAP 100.000100 1 0xf6000000 0xffffc90010000000 0x1000000 0x0 0",
    "MAP 100.000101 2 0xe0000000 0xffffc90020000000 0x8000000 0x0 0",
  ];
  const t = (i: number) => `${100 + Math.floor(i / 1e6)}.${String(i % 1e6).padStart(6, "0")}`;
  const hex = (n: number) => `0x${n.toString(16)}`;
  lines.push(`R 4 ${t(200)} 1 0xf6000000 0x0e7150a2 0x0 0`);
  lines.push(`W 4 ${t(201)} 1 0xf6001700 0x00000100 0x0 0`);
  const FB = 4 << 20;
  for (let off = 0; off < FB; off += 4)
    lines.push(`W 4 ${t(300 + off / 4)} 2 ${hex(0xe0000000 + off)} 0x0 0x0 0`);
  for (let off = 0; off < 0x3000; off += 4)
    lines.push(`R 4 ${t(2e6 + off)} 1 ${hex(0xf6700000 + off)} 0x1 0x0 0`);
  lines.push(`R 4 ${t(3e6)} 1 0xf6001700 0x00000100 0x0 0`);
  const text = Buffer.from(`${lines.join("\n")}\n`);
  const stats = new RegisterStats(2000);
  let batches = 0;
  const parser = createParser({
    batchSize: 50_000,
    onBatch: (b: TraceBatch) => {
      batches++;
      stats.add(b, parser.devices());
    },
  });
  parser.feed(text);
  parser.end();
  const rows = [...stats.rows()];

  it("counts BAR0 registers one by one", () => {
    const reg = rows.filter((r) => r.bar === 0 && r.offset < 0x700000);
    expect(reg.map((r) => [r.offset, r.span, r.reads, r.writes])).toEqual([
      [0, 1, 1, 0],
      [0x1700, 1, 1, 1],
    ]);
  });

  it("counts the framebuffer BAR per 4 KiB page and never reaches the cap", () => {
    expect(batches).toBeGreaterThan(10);
    expect(stats.truncated).toBe(false);
    const fb = rows.filter((r) => r.bar === 1);
    expect(fb.length).toBe(FB / PAGE_BYTES);
    expect(fb.every((r, i) => r.offset === i * PAGE_BYTES && r.span === PAGE_BYTES)).toBe(true);
    expect(fb.every((r) => r.writes === PAGE_BYTES / 4 && r.reads === 0)).toBe(true);
    // first and last event of the page: header (4 records) + 2 accesses before the clear
    expect([fb[1]!.firstEvent, fb[1]!.lastEvent]).toEqual([6 + 1024, 6 + 2047]);
    expect(stats.pagedBars()).toEqual(["01:00.0 BAR0 PRAMIN window", "01:00.0 BAR1", "01:00.0 BAR3"]);
  });

  it("counts NVIDIA's PRAMIN window of BAR0 per page", () => {
    const pramin = rows.filter((r) => r.bar === 0 && r.offset >= 0x700000);
    expect(pramin.map((r) => [r.offset, r.span, r.reads])).toEqual([
      [0x700000, PAGE_BYTES, 1024],
      [0x701000, PAGE_BYTES, 1024],
      [0x702000, PAGE_BYTES, 1024],
    ]);
  });
});
