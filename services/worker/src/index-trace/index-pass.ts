import type { DatabaseChoice } from "@mmiohub/annotate";
import { createEventStoreWriter, type EventStoreMeta } from "@mmiohub/event-store";
import { EventKind, type PciDevice, readTrace, type TraceSummary } from "@mmiohub/trace";
import { IngestError } from "../ingest/errors";
import { CHECKPOINT_FORMAT, CheckpointTracker } from "./checkpoints";
import { DEFAULT_BLOCK_EVENTS, DEFAULT_CHECKPOINT_INTERVAL } from "./defaults";
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

export interface PassOptions {
  member: string;
  maxLineBytes: number;
  parserVersion: string;
  annotatorDatabases: DatabaseChoice;
  /** Asked at the end of the pass: the database is opened when the first NVIDIA card shows up. */
  rnndbVersion: () => string | null;
  /** default DEFAULT_BLOCK_EVENTS */
  blockEvents?: number;
  /** default DEFAULT_CHECKPOINT_INTERVAL */
  checkpointInterval?: number;
}

export interface PassResult {
  summary: TraceSummary;
  registers: RegisterStats;
  /** Timestamps (µs) of the lost-event notices by event number (the summary lists them untimed). */
  lostTimes: Map<number, number>;
  meta: EventStoreMeta<EventStoreApp>;
}

const YIELD_EVERY_MS = 2;
let lastYield = 0;

/**
 * Lets the event loop run about every 2 ms of work. Without it the pass runs for long stretches on
 * microtasks alone (its input is already buffered) and nothing else of the thread runs: on the
 * main thread nobody reads the decoder's pipe (`xz` stalls on it), on the indexing thread the
 * acknowledgements of written chunks wait.
 */
function breathe(): Promise<void> | undefined {
  const now = performance.now();
  if (now - lastYield < YIELD_EVERY_MS) return undefined;
  lastYield = now;
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * One pass over a trace's text: parse (the trace core), encode the event store (its bytes go to
 * `emit` in order, as they are made), count per-register statistics and follow the annotator's
 * state for checkpoints. No I/O of its own: it runs in-process or on the indexing thread. Memory
 * stays bounded: one parser batch, one event-store block, the register table and the summary's
 * capped lists; `emit` holds back the pass when the writer falls behind.
 */
export async function indexPass(
  source: AsyncIterable<Uint8Array>,
  options: PassOptions,
  emit: (chunks: Uint8Array[]) => Promise<void>,
): Promise<PassResult> {
  const interval = options.checkpointInterval ?? DEFAULT_CHECKPOINT_INTERVAL;
  const writer = createEventStoreWriter({
    blockEvents: options.blockEvents ?? DEFAULT_BLOCK_EVENTS,
    checkpointInterval: interval,
    checkpointFormat: CHECKPOINT_FORMAT,
  });
  const tracker = new CheckpointTracker(options.annotatorDatabases);
  const registers = new RegisterStats();
  const lostTimes = new Map<number, number>();
  let tooLong: IngestError | undefined;
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
        await emit(writer.checkpoint(writer.events, tracker.snapshot()));
      }
      const until = Math.min(batch.length, row + (writer.nextCheckpoint - writer.events));
      tracker.feed(batch, devices, row, until);
      await emit(writer.add(batch, row, until));
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
  await emit(chunks);
  return { summary, registers, lostTimes, meta };
}
