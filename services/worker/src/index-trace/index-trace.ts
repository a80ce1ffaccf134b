import type { EventStoreMeta } from "@mmiohub/event-store";
import type { BlobStore } from "@mmiohub/storage";
import type { TraceSummary } from "@mmiohub/trace";
import { ChunkChannel } from "./chunk-channel";
import { type EventStoreApp, indexPass, type PassOptions, type PassResult } from "./index-pass";
import { runPassInThread } from "./index-thread";
import type { RegisterStats } from "./register-stats";

export type { EventStoreApp } from "./index-pass";

export interface IndexedTrace {
  member: string;
  summary: TraceSummary;
  registers: RegisterStats;
  /** Timestamps (µs) of the lost-event notices by event number (the summary lists them untimed). */
  lostTimes: Map<number, number>;
  eventStore: { key: string; size: number; created: boolean; meta: EventStoreMeta<EventStoreApp> };
  /** Why the indexing thread could not open the rnndb (no NVIDIA checkpoints then), or null. */
  rnndbError: string | null;
}

export interface IndexOptions extends PassOptions {
  storage: BlobStore;
  /**
   * Run the pass on the indexing thread (index-thread.ts) with this rnndb folder (null: none), so
   * this thread only moves bytes; undefined: run it here.
   */
  thread?: { rnndbDir: string | null };
}

/**
 * One pass over a trace's text (index-pass.ts) with the event store written to blob storage as it
 * goes. Memory stays bounded: the pass's own, the chunks queued for storage (8 MB at most; 2 MB
 * with the thread) and, with the thread, the text and event-store bytes in flight between the
 * threads (IN_FLIGHT_BYTES each way).
 */
export async function indexTrace(
  source: AsyncIterable<Uint8Array>,
  options: IndexOptions,
): Promise<IndexedTrace> {
  const channel = new ChunkChannel(options.thread ? 2 << 20 : 8 << 20);
  const stored = options.storage.put(channel);
  stored.catch(() => {});
  try {
    const emit = (chunks: Uint8Array[]) => channel.push(chunks);
    const pass: PassResult & { rnndbError?: string | null } = options.thread
      ? await runPassInThread(
          source,
          {
            member: options.member,
            maxLineBytes: options.maxLineBytes,
            parserVersion: options.parserVersion,
            rnndbDir: options.thread.rnndbDir,
            blockEvents: options.blockEvents,
            checkpointInterval: options.checkpointInterval,
          },
          emit,
        )
      : await indexPass(source, options, emit);
    channel.end();
    const put = await stored;
    return {
      member: options.member,
      summary: pass.summary,
      registers: pass.registers,
      lostTimes: pass.lostTimes,
      eventStore: { ...put, meta: pass.meta },
      rnndbError: pass.rnndbError ?? null,
    };
  } catch (err) {
    channel.fail(err as Error);
    await stored.catch(() => {});
    throw err;
  }
}
