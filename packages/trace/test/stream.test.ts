import { createReadStream } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import {
  createParser,
  createTraceWritable,
  readTrace,
  type TraceBatch,
  type TraceSummary,
} from "../src/index";
import { parse, sample } from "./helpers";

const shared = process.env.MMIOHUB_SHARED ?? new URL("../../../../shared", import.meta.url).pathname;
const file = join(shared, "samples", "edu-qemu-lost-events.mmiotrace");

describe("stream adapters", () => {
  it("readTrace over a file stream: batches with the device table, then the summary", async () => {
    const batches: TraceBatch[] = [];
    let summary: TraceSummary | undefined;
    let devices = 0;
    for await (const item of readTrace(createReadStream(file, { highWaterMark: 333 }), { batchSize: 50 })) {
      if (item.type === "batch") {
        batches.push(item.batch);
        devices = item.devices.length;
      } else summary = item.summary;
    }
    expect(devices).toBe(5);
    expect(batches.map((b) => b.length)).toEqual([50, 50, 50, 50, 40]);
    expect(summary).toEqual(parse(sample("edu-qemu-lost-events")).summary);
  });

  it("createTraceWritable in a pipeline", async () => {
    let events = 0;
    let summary: TraceSummary | undefined;
    await pipeline(
      Readable.from([sample("gk107_hand").subarray(0, 500), sample("gk107_hand").subarray(500)]),
      createTraceWritable({
        onBatch: (b) => {
          events += b.length;
        },
        onEnd: (s) => {
          summary = s;
        },
      }),
    );
    expect(events).toBe(35);
    expect(summary?.cards[0]?.codeName).toBe("GK107");
  });

  it("recycled batches: same events, far fewer allocations", async () => {
    const expected = parse(sample("edu-qemu-lost-events")).rows.map((r) => [r.kind, r.line, r.valueLo]);
    const seen: number[][] = [];
    const buffers = new Set<ArrayBufferLike>();
    let batches = 0;
    const source = createReadStream(file, { highWaterMark: 64 });
    for await (const item of readTrace(source, { batchSize: 8, recycleBatches: true })) {
      if (item.type !== "batch") continue;
      batches++;
      buffers.add(item.batch.kind.buffer);
      for (let i = 0; i < item.batch.length; i++) {
        seen.push([item.batch.kind[i]!, item.batch.line[i]!, item.batch.valueLo[i]!]);
      }
    }
    expect(seen).toEqual(expected);
    expect(batches).toBe(30);
    expect(buffers.size).toBeLessThan(6);
  });

  it("parser.recycle hands a batch's memory to the next batches", () => {
    const buffers = new Set<ArrayBufferLike>();
    const rows: number[] = [];
    const parser = createParser({
      batchSize: 10,
      onBatch: (b) => {
        buffers.add(b.kind.buffer);
        for (let i = 0; i < b.length; i++) rows.push(b.line[i]!);
        parser.recycle(b);
      },
    });
    parser.feed(sample("edu-qemu-lost-events"));
    parser.end();
    expect(rows).toEqual(Array.from({ length: 240 }, (_, i) => i + 1));
    expect(buffers.size).toBe(1);
  });

  it("a source with one huge chunk is fed in slices: same events", async () => {
    const body = new TextEncoder().encode("R 4 1.000001 1 0xfeb00000 0x10000ed 0x0 0\n".repeat(60000));
    const edu = sample("edu-qemu");
    // VERSION, PCIDEVs, the first MARK and the MAP: everything before the first R.
    const head = edu.subarray(0, new TextDecoder().decode(edu).indexOf("\nR ") + 1);
    const all = new Uint8Array(head.length + body.length);
    all.set(head);
    all.set(body, head.length);
    let events = 0;
    let summary: TraceSummary | undefined;
    for await (const item of readTrace(Readable.from([all], { objectMode: true }))) {
      if (item.type === "batch") events += item.batch.length;
      else summary = item.summary;
    }
    expect(all.length).toBeGreaterThan(2_500_000);
    expect(events).toBe(8 + 60000);
    expect(summary?.counts.R).toBe(60000);
    expect(summary?.accesses.unresolved).toBe(0);
  });
});
