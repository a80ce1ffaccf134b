import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TraceAnnotator } from "@mmiohub/annotate";
import { openEnvytoolsDatabase } from "@mmiohub/rnndb";
import { LocalBlobStore } from "@mmiohub/storage";
import { createParser, type TraceBatch } from "@mmiohub/trace";
import { describe, expect, it } from "vitest";
import { indexTrace } from "../src/index-trace/index-trace";
import { openStore, SHARED, sample } from "./helpers";

const RNNDB = process.env.MMIOHUB_RNNDB ?? join(SHARED, "rnndb/envytools");

/** A GT215 trace that keeps every indirect decoder busy: I2C bit-banging, CRTC, PRAMIN, gaps. */
function busyTrace(lines: number): Buffer {
  let s = 12345;
  const rnd = (n: number) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
  const out = [
    "VERSION 20070824",
    "PCIDEV 0200 10de0ca3 10 fa000000 d000000c 0 f800000c 0 dc01 fb000000 1000000 10000000 0 2000000 0 80 80000 nouveau",
    "MAP 10.000000 1 0xfa000000 0xffffc90000100000 0x1000000 0x0 0",
    "MAP 10.000000 2 0xd0000000 0xffffc90010000000 0x10000000 0x0 0",
  ];
  let t = 10_000_010;
  const ts = () => `${Math.floor(t / 1e6)}.${String(t % 1e6).padStart(6, "0")}`;
  const acc = (rw: string, w: number, map: number, addr: number, v: number) =>
    out.push(`${rw} ${w} ${ts()} ${map} 0x${addr.toString(16)} 0x${v.toString(16)} 0x0 0`);
  acc("R", 4, 1, 0xfa000000, 0x0a3000a2);
  for (let i = 0; i < lines; i++) {
    t += rnd(100) < 3 ? 150 + rnd(5000) : 1 + rnd(20);
    const r = rnd(100);
    if (r < 40) acc("W", 4, 1, 0xfa000000 + (rnd(2) ? 0xe138 : 0xe150), 4 + rnd(4));
    else if (r < 50) acc("R", 4, 1, 0xfa000000 + (rnd(2) ? 0xe138 : 0xe150), 4 + rnd(4));
    else if (r < 55) acc("W", 1, 1, 0xfa000000 + (rnd(2) ? 0x6013d4 : 0x6033d4), rnd(0x40));
    else if (r < 60) acc(rnd(2) ? "W" : "R", 1, 1, 0xfa000000 + (rnd(2) ? 0x6013d5 : 0x6033d5), rnd(256));
    else if (r < 62) acc("W", 2, 1, 0xfa6013d4, rnd(0x10000));
    else if (r < 65) acc("W", 4, 1, 0xfa001700, rnd(0x100));
    else if (r < 75) acc(rnd(2) ? "W" : "R", 4, 1, 0xfa700000 + rnd(0x100000) * 4, rnd(2 ** 31));
    else if (r < 80) acc("W", 4, 2, 0xd0000000 + rnd(0x1000) * 4, rnd(2 ** 31));
    else if (r < 81) out.push(`MARK ${ts()} step ${i}`);
    else acc(rnd(2) ? "W" : "R", 4, 1, 0xfa000000 + rnd(0x40000) * 4, rnd(2 ** 31));
  }
  return Buffer.from(`${out.join("\n")}\n`);
}

/** The annotator's state before each event in `at`, annotating every access from the start. */
function fullStates(text: Buffer, at: number[]): Map<number, unknown> {
  const dbs = { nvidia: openEnvytoolsDatabase(RNNDB) };
  const batches: TraceBatch[] = [];
  const parser = createParser({ onBatch: (b) => batches.push(b) });
  parser.feed(text);
  parser.end();
  const devices = parser.devices();
  const annotator = new TraceAnnotator(dbs);
  const states = new Map<number, unknown>();
  let next = 0;
  for (const b of batches) {
    let row = 0;
    while (row < b.length) {
      const target = at[next];
      if (target !== undefined && target === b.start + row) {
        states.set(target, structuredClone(annotator.snapshot(devices)));
        next++;
        continue;
      }
      const until = target !== undefined && target < b.start + b.length ? target - b.start : b.length;
      annotator.batch(b, devices, row, until);
      row = until;
    }
  }
  return states;
}

describe("stored checkpoints equal the state of a full annotation at the same event", () => {
  it.each([
    ["gk107_hand.mmiotrace", 4],
    ["gt215_i2c_seq.mmiotrace", 8],
    ["a busy GT215 trace", 64],
  ])("%s, every %i events", async (name, interval) => {
    const text = name.endsWith(".mmiotrace") ? await sample(name) : busyTrace(6000);
    const storage = new LocalBlobStore(await mkdtemp(join(tmpdir(), "mmiohub-cp-")));
    const indexed = await indexTrace(
      (async function* () {
        yield text;
      })(),
      {
        storage,
        member: name,
        maxLineBytes: 65536,
        parserVersion: "test",
        annotatorDatabases: { nvidia: openEnvytoolsDatabase(RNNDB) },
        rnndbVersion: () => null,
        blockEvents: interval,
        checkpointInterval: interval,
      },
    );
    const store = await openStore(storage, indexed.eventStore.key);
    expect(store.meta.checkpointCount).toBe(Math.ceil(store.eventCount / interval));
    expect(store.meta.app.annotatedDevices).toEqual([name.startsWith("gk107") ? 1 : 0]);
    const at = Array.from({ length: store.meta.checkpointCount }, (_, i) => i * interval);
    const expected = fullStates(text, at);
    let compared = 0;
    for (const e of at) {
      const cp = await store.checkpointBefore(e);
      expect(cp?.eventIndex).toBe(e);
      if (cp!.state === null) continue; // before the first access: the initial state
      expect(cp!.state, `checkpoint at event ${e}`).toEqual(expected.get(e));
      compared++;
    }
    expect(compared).toBeGreaterThan(at.length - 3);
  });
});
