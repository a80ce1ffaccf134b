// CPU of one annotated events page, in-process (no HTTP): the events service of the API
// (services/api/src/services/events-read.ts) on the API benchmark's 20M-event trace, one request
// at a time, each stage timed apart so the per-request cost can be cut where it is.
//
//   npx tsx bench/src/api-events-cpu.bench.ts [--dir /tmp/mmiohub-api-bench] [--requests 300]
//       [--limit 500] [--seed 1] [--intervals 1024,...] (default: every interval prepared)
//
// Needs the API benchmark's prepared data (npx tsx bench/src/api.bench.ts --only events prepares
// it). For each checkpoint interval the big trace was ingested with, prints ms of CPU per request
// (user + system of this process, median, p90 and mean over the requests) of:
//   served:     EventService.scan into JsonRows, 500 events at a random offset (cold: blocks and
//               checkpoint mostly not cached, as with random offsets under load), as the route does
//   nowhere:    the same scan with a sink that keeps nothing (what the rows cost is the difference)
//   objects:    the scan into RowObjects (EventRow objects), and with JSON.stringify of the answer:
//               the route before JsonRows, the baseline
//   and apart:  store block read + decode (the API's storeBatchSource), checkpoint read,
//               annotator catch-up from the checkpoint to the offset (state only, as served,
//               beside annotating into text that is dropped: the baseline, same offsets).
// Nothing here asserts a time.

import { loadavg } from "node:os";
import { type AnnotatorState, TextBuffer, TraceAnnotator } from "@mmiohub/annotate";
import { openEventStore } from "@mmiohub/event-store";
import { LocalBlobStore } from "@mmiohub/storage";
import type { PciDevice } from "@mmiohub/trace";
import { rng } from "../../packages/trace/test/helpers";
import { EventService, type RangeRequest, type TraceRef } from "../../services/api/src/services/events-read";
import { JsonRows, RowObjects } from "../../services/api/src/services/events-rows";
import { storeBatchSource } from "../../services/api/src/services/events-store-source";
import { benchPaths, benchQuery, loadPrepared, percentile, RNNDB } from "./api-fixtures";

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const mean = ms.reduce((a, b) => a + b, 0) / Math.max(1, ms.length);
  return `median ${percentile(s, 50).toFixed(3)} ms  p90 ${percentile(s, 90).toFixed(3)} ms  mean ${mean.toFixed(3)} ms`;
}

/** CPU milliseconds (user + system) of `fn`. */
async function cpu<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const c0 = process.cpuUsage();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { ms: (c.user + c.system) / 1000, value };
}

/** A range as EventRow objects (the route's answer before JsonRows): a scan into RowObjects. */
async function objects(service: EventService, ref: TraceRef, req: RangeRequest) {
  const rows = new RowObjects();
  const { next } = await service.scan(ref, req, rows);
  return { events: rows.rows, next };
}

/** Rows that keep nothing: each row's annotation is written, then dropped. */
const keepNothing = {
  out: new TextBuffer(1 << 16),
  open() {
    this.out.pos = 0;
  },
  close() {
    this.out.pos = 0;
  },
  drop() {
    this.out.pos = 0;
  },
};

async function main(argv: string[]): Promise<void> {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const paths = benchPaths(arg("--dir") ?? "/tmp/mmiohub-api-bench");
  const requests = Number(arg("--requests") ?? "300");
  const limit = Number(arg("--limit") ?? "500");
  const prepared = loadPrepared(paths);
  if (!prepared) throw new Error(`no prepared API bench data under ${paths.dir}: run api.bench.ts first`);
  const storage = new LocalBlobStore(paths.storageDir);
  console.log(
    `events CPU per request, ${new Date().toISOString()}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}; ${requests} requests of ${limit} events per interval`,
  );
  const intervals = arg("--intervals")?.split(",").map(Number);
  for (const big of prepared.big) {
    if (intervals && !intervals.includes(big.checkpointInterval)) continue;
    const [t] = await benchQuery<{ event_store_key: string; archive_sha256: string; archive_name: string }>(
      paths.databaseUrl,
      `SELECT t.event_store_key, s.archive_sha256, s.archive_name FROM trace t
         JOIN submission s ON s.id = t.submission_id WHERE t.id = $1`,
      [big.traceId],
    );
    if (!t) throw new Error(`trace ${big.traceId} is not in ${paths.databaseUrl}`);
    const ref = {
      archiveSha256: t.archive_sha256,
      archiveName: t.archive_name,
      eventStoreKey: t.event_store_key,
    };
    const service = new EventService(storage, RNNDB);
    service.database();
    const reader = await storage.openReader(t.event_store_key);
    const store = await openEventStore((s, e) => reader.read(s, e), reader.size);
    const offsets = (seed: number) => {
      const r = rng(seed);
      return Array.from({ length: requests }, () => Math.floor(r() * (big.events - limit)));
    };
    // warm-up: JIT and the register database's compiled domains
    for (const from of offsets(99).slice(0, 30))
      await objects(service, ref, { from, to: from + limit - 1, filter: {}, limit, annotate: true });

    // As served (rows written straight into the answer's bytes), beside EventRow objects and
    // JSON.stringify (the baseline: how the route built its answer before JsonRows) and beside a
    // sink that keeps nothing (store, checkpoint and annotation alone), same offsets.
    const served: number[] = [];
    const read: number[] = [];
    const stringify: number[] = [];
    const nothing: number[] = [];
    let bytes = 0;
    const range = (from: number) => ({ from, to: from + limit - 1, filter: {}, limit, annotate: true });
    // Each its own offsets (the same distribution): a page read just before would leave its block
    // and annotator state cached for the next variant.
    const seed = Number(arg("--seed") ?? "1");
    for (const from of offsets(seed)) {
      const rows = new JsonRows({ trace: big.traceId, from, to: from + limit - 1, rnndbVersion: "x" });
      const s = await cpu(async () => {
        const { next } = await service.scan(ref, range(from), rows);
        return rows.finish({ next }).length;
      });
      // As the route does once the answer is sent: the buffer back to the pool.
      rows.release();
      served.push(s.ms);
      bytes += s.value;
    }
    for (const from of offsets(seed + 100)) {
      const r = await cpu(() => objects(service, ref, range(from)));
      const j = await cpu(() =>
        JSON.stringify({ trace: big.traceId, from, to: from + limit - 1, rnndbVersion: "x", ...r.value }),
      );
      read.push(r.ms);
      stringify.push(r.ms + j.ms);
    }
    for (const from of offsets(seed + 200))
      nothing.push((await cpu(() => service.scan(ref, range(from), keepNothing))).ms);
    const blocks: number[] = [];
    const checkpoints: number[] = [];
    // The page's events block by block, read as the API reads them (its store source).
    const source = storeBatchSource({
      store: store as Parameters<typeof storeBatchSource>[0]["store"],
      release() {},
    });
    const readPage = async (from: number) => {
      for await (const _ of source.batches(from, from + limit - 1));
    };
    for (const from of offsets(2)) {
      blocks.push((await cpu(() => readPage(from))).ms);
      checkpoints.push((await cpu(() => store.checkpointBefore(from))).ms);
    }
    // Catching up from the checkpoint to the page: state only (what the service does) beside
    // annotating the same events into text that is thrown away (what it did before), same offsets.
    const skipMs: number[] = [];
    const fullMs: number[] = [];
    const devices = (store.meta.app as { devices?: PciDevice[] } | undefined)?.devices ?? [];
    for (const from of offsets(4)) {
      const cp = await store.checkpointBefore(from);
      const begin = cp?.eventIndex ?? 0;
      const batch = await store.readEvents(begin, from);
      for (const [list, quiet] of [
        [skipMs, true],
        [fullMs, false],
      ] as const) {
        const a = new TraceAnnotator({ nvidia: service.database() });
        if (cp?.state) a.restore(devices, cp.state as AnnotatorState);
        list.push(
          (
            await cpu(() => {
              if (quiet) a.skip(batch, devices);
              else {
                a.batch(batch, devices);
                a.writer.take();
              }
            })
          ).ms,
        );
      }
    }
    const plain: number[] = [];
    for (const from of offsets(3))
      plain.push(
        (
          await cpu(() =>
            objects(service, ref, { from, to: from + limit - 1, filter: {}, limit, annotate: false }),
          )
        ).ms,
      );
    await reader.close();
    console.log(
      `\ninterval ${big.checkpointInterval} (trace ${big.traceId}, ${big.checkpoints} checkpoints)`,
    );
    console.log(
      `  answer as served        ${stats(served)}  (JsonRows, ${(bytes / requests / 1000).toFixed(0)} KB)`,
    );
    console.log(`  rows kept nowhere       ${stats(nothing)}  (store, checkpoint, annotation)`);
    console.log(`  EventRow objects        ${stats(read)}`);
    console.log(`  objects + stringify     ${stats(stringify)}  (baseline: the answer before JsonRows)`);
    console.log(`  read, annotate=0        ${stats(plain)}`);
    console.log(`  blocks read + decode    ${stats(blocks)}`);
    console.log(`  checkpoint read + parse ${stats(checkpoints)}`);
    console.log(`  catch-up, state only    ${stats(skipMs)}`);
    console.log(`  catch-up, text dropped  ${stats(fullMs)}  (baseline: the service before skip())`);
  }
}

await main(process.argv.slice(2));
