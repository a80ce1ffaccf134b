import { createParser, EventKind } from "@mmiohub/trace";
import { describe, expect, it } from "vitest";
import { RegisterStats } from "../src/index-trace/register-stats";
import { bigTrace } from "./worker-process";

describe("register statistics", () => {
  const text = bigTrace(60_000, 3);
  const naive = new Map<string, { reads: number; writes: number; first: number; last: number }>();
  const stats = new RegisterStats();
  const small = new RegisterStats(100);
  const parser = createParser({
    batchSize: 777,
    onBatch: (b) => {
      stats.add(b);
      small.add(b);
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
      expect([r.reads, r.writes, r.firstEvent, r.lastEvent]).toEqual([n.reads, n.writes, n.first, n.last]);
    }
    const offsets = rows.map((r) => r.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b)); // one device, one BAR: offset order
  });

  it("stops adding registers at its limit and says so", () => {
    expect(small.count).toBe(100);
    expect(small.truncated).toBe(true);
  });
});
