import type { DatabaseChoice } from "@mmiohub/annotate";
import { createEventStoreWriter, type EventStoreMeta } from "@mmiohub/event-store";
import type { BlobStore } from "@mmiohub/storage";
import { EventKind, type PciDevice, readTrace, type TraceSummary } from "@mmiohub/trace";
import { IngestError } from "../ingest/errors";
import { CHECKPOINT_FORMAT, CheckpointTracker } from "./checkpoints";
import { ChunkChannel } from "./chunk-channel";
import { RegisterStats } from "./register-stats";

/** What the worker stores beside the events (`store.meta.app`); the API reads it. */
export interface EventStoreApp {
  member: string;
  parserVersion: string;
  rnndbVersion: string | null;
  /** The trace's device table (PCIDEV order), as the parser reported it. */
  devices: readonly PciDevice[];
  /** Device indices of the cards the checkpoints' annotator state covers, in card order. */
  annotatedDevices: number[];
}

export interface IndexedTrace {
  member: string;
  summary: TraceSummary;
  registers: RegisterStats;
  /** Timestamps (µs) of the lost-event notices by event number (the summary lists them untimed). */
  lostTimes: Map<number, number>;
  eventStore: { key: string; size: number; created: boolean; meta: EventStoreMeta<EventStoreApp> };
}

export interface IndexOptions {
  storage: BlobStore;
  member: string;
  maxLineBytes: number;
  parserVersion: string;
  annotatorDatabases: DatabaseChoice;
  /** Asked at the end of the pass: the database is opened when the first NVIDIA card shows up. */
  rnndbVersion: () => string | null;
  blockEvents?: number;
  checkpointInterval?: number;
}

const YIELD_EVERY_MS = 2;
let lastYield = 0;

/**
 * Lets the event loop run about every 2 ms of work. Without it the pass runs for long stretches on
 * microtasks alone (the decoder's output is already buffered), nobody reads the decoder's pipe,
 * and `xz` stalls on a full pipe: the two then take turns instead of running side by side on two
 * cores.
 */
function breathe(): Promise<void> | undefined {
  const now = performance.now();
  if (now - lastYield < YIELD_EVERY_MS) return undefined;
  lastYield = now;
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * One pass over a trace's text: parse (the trace core), write the event store to blob storage as
 * it goes, count per-register statistics and follow the annotator's state for checkpoints. Memory
 * stays bounded: one parser batch, one event-store block, the queued chunks (8 MB at most), the
 * register table and the summary's capped lists.
 */
export async function indexTrace(
  source: AsyncIterable<Uint8Array>,
  options: IndexOptions,
): Promise<IndexedTrace> {
  const interval = options.checkpointInterval ?? 65_536;
  const writer = createEventStoreWriter({
    blockEvents: options.blockEvents ?? 4096,
    checkpointInterval: interval,
    checkpointFormat: CHECKPOINT_FORMAT,
  });
  const tracker = new CheckpointTracker(options.annotatorDatabases);
  const registers = new RegisterStats();
  const lostTimes = new Map<number, number>();
  const channel = new ChunkChannel();
  const stored = options.storage.put(channel);
  stored.catch(() => {});
  let tooLong: IngestError | undefined;
  try {
    let summary: TraceSummary | undefined;
    // A too-long line is reported when it overflows, long before it ends (if ever): stop there.
    const guarded = async function* () {
      for await (const chunk of source) {
        if (tooLong) throw tooLong;
        yield chunk;
      }
    };
    const items = readTrace(guarded(), {
      maxLineLength: options.maxLineBytes,
      // each batch is done with (copied into the event store's block) before the next is asked for
      recycleBatches: true,
      onError: (e) => {
        if (e.code === "LINE_TOO_LONG")
          tooLong ??= new IngestError(
            "TRACE_LINE_TOO_LONG",
            `line ${e.line} of '${options.member}' is longer than ${options.maxLineBytes} bytes`,
          );
      },
    });
    for await (const item of items) {
      if (tooLong) throw tooLong;
      if (item.type === "end") {
        summary = item.summary;
        break;
      }
      const { batch, devices } = item;
      registers.add(batch, devices);
      for (let i = 0; i < batch.length; i++) {
        const k = batch.kind[i]!;
        if ((k === EventKind.LOST || k === EventKind.CPU_LOST) && lostTimes.size < 100_000)
          lostTimes.set(batch.start + i, batch.sec[i]! * 1e6 + batch.usec[i]!);
      }
      let row = 0;
      while (row < batch.length) {
        if (writer.events === writer.nextCheckpoint) {
          await channel.push(writer.checkpoint(writer.events, tracker.snapshot()));
        }
        const until = Math.min(batch.length, row + (writer.nextCheckpoint - writer.events));
        tracker.feed(batch, devices, row, until);
        await channel.push(writer.add(batch, row, until));
        row = until;
        await breathe();
      }
    }
    if (tooLong) throw tooLong;
    if (!summary) throw new Error("the trace parser ended without a summary");
    const { chunks, meta } = writer.finish<EventStoreApp>({
      member: options.member,
      parserVersion: options.parserVersion,
      rnndbVersion: options.rnndbVersion(),
      devices: summary.devices,
      annotatedDevices: tracker.annotatedDevices,
    });
    await channel.push(chunks);
    channel.end();
    const put = await stored;
    return { member: options.member, summary, registers, lostTimes, eventStore: { ...put, meta } };
  } catch (err) {
    channel.fail(err as Error);
    await stored.catch(() => {});
    throw err;
  }
}
