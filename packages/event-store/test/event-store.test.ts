import { formatEvents, type TraceBatch } from "@mmiohub/trace";
import { describe, expect, it } from "vitest";
import { createEventStoreWriter, EventStoreFormatError, openEventStore } from "../src/index";
import { build, memoryRange, parse, sample, synthetic } from "./helpers";

const COLUMNS = [
  "kind",
  "width",
  "flags",
  "sec",
  "usec",
  "mapId",
  "addrLo",
  "addrHi",
  "valueLo",
  "valueHi",
  "pcLo",
  "pcHi",
  "pid",
  "device",
  "bar",
  "offsetLo",
  "offsetHi",
  "line",
  "byteOffset",
] as const;

/** Every column of `got` equals rows [start, start + got.length) of the original batches. */
function expectSameEvents(got: TraceBatch, original: TraceBatch[]) {
  for (const b of original) {
    const from = Math.max(got.start, b.start);
    const to = Math.min(got.start + got.length, b.start + b.length);
    for (let e = from; e < to; e++) {
      const g = e - got.start;
      const o = e - b.start;
      for (const c of COLUMNS)
        if (got[c][g] !== b[c][o]) expect.fail(`event ${e} column ${c}: ${got[c][g]} != ${b[c][o]}`);
      const ge = got.extra[g]! >= 0 ? got.extras[got.extra[g]!] : undefined;
      const oe = b.extra[o]! >= 0 ? b.extras[b.extra[o]!] : undefined;
      expect(ge && { text: ge.text, raw: ge.raw, row: ge.row }).toEqual(
        oe && { text: oe.text, raw: oe.raw, row: g },
      );
    }
  }
}

const textOf = (batches: TraceBatch[]) => batches.map((b) => formatEvents(b, 0, b.length)).join("");

describe.each([
  ["gk107_hand.mmiotrace", 4],
  ["gt215_i2c_seq.mmiotrace", 8],
  ["edu-qemu-lost-events.mmiotrace", 16],
  ["edu-qemu.mmiotrace", 4096],
])("%s, blocks of %i events", (name, blockEvents) => {
  const text = sample(name);
  const { batches, summary } = parse(text);
  const bytes = build(batches, { blockEvents, checkpointInterval: blockEvents * 2 });

  it("reads back every event exactly, and as the same kernel text", async () => {
    const store = await openEventStore(memoryRange(bytes).read, bytes.length);
    expect(store.eventCount).toBe(summary.events);
    const all = await store.readEvents(0, store.eventCount);
    expectSameEvents(all, batches);
    expect(formatEvents(all, 0, all.length)).toBe(textOf(batches));
    expect(formatEvents(all, 0, all.length)).toBe(text.toString("utf8"));
  });

  it("reads any range", async () => {
    const store = await openEventStore(memoryRange(bytes).read, bytes.length);
    const n = store.eventCount;
    for (const [a, b] of [
      [0, 1],
      [n - 1, n],
      [3, 17],
      [Math.floor(n / 2), n + 50],
      [-5, 2],
      [7, 7],
    ] as const) {
      const got = await store.readEvents(a, b);
      const start = Math.max(0, Math.min(a, n));
      expect(got.start).toBe(start);
      expect(got.length).toBe(Math.max(0, Math.min(b, n) - start));
      expectSameEvents(got, batches);
    }
  });
});

describe("a larger synthetic trace", () => {
  const text = Buffer.from(synthetic(60_000));
  const { batches, summary } = parse(text);
  const bytes = build(batches, { blockEvents: 1024, checkpointInterval: 4096 });

  it("is smaller than its text and round-trips", async () => {
    expect(bytes.length).toBeLessThan(text.length * 0.5);
    const store = await openEventStore(memoryRange(bytes).read, bytes.length);
    const all = await store.readEvents(0, store.eventCount);
    expect(formatEvents(all, 0, all.length)).toBe(text.toString("utf8"));
    expect(store.meta).toMatchObject({
      formatVersion: 1,
      eventCount: summary.events,
      blockEvents: 1024,
      blockCount: Math.ceil(summary.events / 1024),
      checkpointInterval: 4096,
      checkpointFormat: "test/at@1",
      checkpointCount: Math.ceil(summary.events / 4096),
      app: { hello: "app" },
    });
    const first = summary.firstTimestamp!;
    const last = summary.lastTimestamp!;
    expect(store.meta.firstTimeUs).toBe(first.sec * 1e6 + first.usec);
    expect(store.meta.lastTimeUs).toBe(last.sec * 1e6 + last.usec);
  });

  it("reads a page deep in the trace touching only its blocks", async () => {
    const range = memoryRange(bytes);
    const store = await openEventStore(range.read, bytes.length);
    const opened = { ...range.stats };
    const page = await store.readEvents(55_000, 55_100);
    expectSameEvents(page, batches);
    expect(range.stats.calls - opened.calls).toBe(1);
    expect(range.stats.bytes - opened.bytes).toBeLessThan(bytes.length / 20);
  });

  it("decodes a block's first rows for a page near its start, the rest from the bytes it kept", async () => {
    const range = memoryRange(bytes);
    const store = await openEventStore(range.read, bytes.length);
    const opened = range.stats.calls;
    // Block 2 holds events 2048-3071: a page at its start, then its last rows, then a range that
    // runs into the next block.
    expectSameEvents(await store.readEvents(2048, 2058), batches);
    expectSameEvents(await store.readEvents(3000, 3072), batches);
    expect(range.stats.calls - opened).toBe(1);
    expectSameEvents(await store.readEvents(2500, 3500), batches);
    expect(range.stats.calls - opened).toBe(2);
  });

  it("finds events by timestamp like a linear scan does", async () => {
    const store = await openEventStore(memoryRange(bytes).read, bytes.length);
    const all = await store.readEvents(0, store.eventCount);
    const times = Array.from({ length: all.length }, (_, i) => all.sec[i]! * 1e6 + all.usec[i]!);
    const linear = (t: number) => {
      const i = times.findIndex((x) => x !== 0 && x >= t);
      return i < 0 ? all.length : i;
    };
    const probes = [0, 1, times[10]!, times[10]! + 1, times[30_000]!, times[all.length - 2]!, 1e15];
    for (let i = 0; i < 50; i++) probes.push(times[(i * 7919) % all.length]! + (i % 3) - 1);
    for (const t of probes) expect(await store.findTime(t), `time ${t}`).toBe(linear(t));
  });

  it("pages through buffers while blocks are recycled under concurrent readers", async () => {
    // A cache of two blocks, reads that finish in random order (some honour the scratch buffer,
    // some return their own) and 40 readers at once, each with its own buffer: every page must
    // still hold its own events, however often the cache decodes into recycled columns.
    let seed = 11;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const slow = async (start: number, end: number, scratch?: Uint8Array) => {
      await new Promise((r) => setTimeout(r, Math.floor(rand() * 4)));
      if (scratch && rand() < 0.7) {
        // Filled in two goes, as a read from disk may be: a scratch buffer given to two reads at
        // once would mix their bytes.
        const half = start + Math.floor((end - start) / 2);
        scratch.set(bytes.subarray(start, half));
        await new Promise((r) => setTimeout(r, Math.floor(rand() * 3)));
        scratch.set(bytes.subarray(half, end), half - start);
        return scratch.subarray(0, end - start);
      }
      return bytes.slice(start, end);
    };
    const store = await openEventStore(slow, bytes.length, { cacheBlocks: 2 });
    const reader = async (k: number) => {
      const buffer = store.newBuffer();
      for (let i = 0; i < 10; i++) {
        const from = Math.floor(rand() * (store.eventCount - 10));
        const to = Math.min(store.eventCount, from + 1 + Math.floor(rand() * 1023));
        const page = await store.readEventsInto(
          from,
          Math.min(to, (Math.floor(from / 1024) + 1) * 1024),
          buffer,
        );
        expect(page.start, `reader ${k}`).toBe(from);
        // The kernel text covers every column a line prints; all columns are compared now and then.
        expect(formatEvents(page, 0, page.length)).toBe(formatEvents(all, from, from + page.length));
        if (i % 5 === 0) expectSameEvents(page, batches);
        // A page across a block boundary, as readEvents serves it.
        const across = await store.readEvents(from, from + 1500);
        expect(formatEvents(across, 0, across.length)).toBe(
          formatEvents(all, from, Math.min(all.length, from + 1500)),
        );
      }
    };
    const all = await (await openEventStore(memoryRange(bytes).read, bytes.length)).readEvents(0, 1e9);
    await Promise.all(Array.from({ length: 40 }, (_, k) => reader(k)));
    await expect(store.readEventsInto(0, 1025, store.newBuffer())).rejects.toThrow(/do not fit/);
  });

  it("gives the nearest checkpoint at or before an event", async () => {
    const store = await openEventStore(memoryRange(bytes).read, bytes.length);
    expect(await store.checkpointBefore(0)).toEqual({ eventIndex: 0, state: null });
    expect(await store.checkpointBefore(4095)).toEqual({ eventIndex: 0, state: null });
    expect(await store.checkpointBefore(4096)).toEqual({ eventIndex: 4096, state: { at: 4096 } });
    expect(await store.checkpointBefore(55_000)).toEqual({ eventIndex: 53_248, state: { at: 53_248 } });
  });
});

describe("writer contract and bad input", () => {
  const { batches } = parse(sample("gk107_hand.mmiotrace"));

  it("insists on checkpoints when they are due and on events in order", () => {
    const w = createEventStoreWriter({ blockEvents: 4, checkpointInterval: 8 });
    expect(() => w.add(batches[0]!, 0, 1)).toThrow(/checkpoint for event 0 is due/);
    w.checkpoint(0, null);
    w.add(batches[0]!, 0, 8);
    expect(w.nextCheckpoint).toBe(8);
    expect(() => w.add(batches[0]!, 8, 9)).toThrow(/checkpoint for event 8/);
    expect(() => w.checkpoint(4, {})).toThrow(/expected one at 8/);
    w.checkpoint(8, {});
    expect(() => w.add(batches[0]!, 9, 10)).toThrow(/expected event 8 next/);
  });

  it("stores no checkpoints when the interval is 0", async () => {
    const bytes = build(batches, { blockEvents: 4, checkpointInterval: 0 });
    const store = await openEventStore(memoryRange(bytes).read, bytes.length);
    expect(store.meta.checkpointCount).toBe(0);
    expect(store.meta.checkpointFormat).toBeNull();
    expect(await store.checkpointBefore(10)).toBeNull();
  });

  it("refuses what is not an event store, a truncated one and a newer format", async () => {
    const bytes = build(batches);
    const open = (b: Uint8Array) => openEventStore(memoryRange(b).read, b.length);
    await expect(open(new Uint8Array(200))).rejects.toThrow(EventStoreFormatError);
    await expect(open(bytes.subarray(0, bytes.length - 10))).rejects.toThrow(/no trailer/);
    const newer = Buffer.from(bytes);
    newer.writeUInt32LE(99, newer.length - 48 + 8);
    await expect(open(newer)).rejects.toThrow(/format 99 is newer/);
  });
});
