// Thin Node adapters around the pure parser: a pull-based async generator (backpressure comes
// from the consumer's pace) and a Writable for pipeline().
import { Writable } from "node:stream";
import type { TraceBatch } from "./batch";
import type { PciDevice } from "./model-types";
import { createParser, type ParserOptions } from "./parser";
import type { TraceSummary } from "./summary";

const FEED_SLICE = 1 << 20;

export type TraceItem =
  | { readonly type: "batch"; readonly batch: TraceBatch; readonly devices: readonly PciDevice[] }
  | { readonly type: "end"; readonly summary: TraceSummary };

export type ReadTraceOptions = Omit<ParserOptions, "onBatch" | "reuseBatches"> & {
  /**
   * Each batch is valid only until the next item is requested; its memory then goes to the
   * following batches. Saves an allocation per batch for consumers that finish with a batch
   * before asking for the next (default false: every batch is yours to keep).
   */
  readonly recycleBatches?: boolean;
};

/** Parses a byte stream (a Node Readable, a web stream, any async iterable of chunks). */
export async function* readTrace(
  source: AsyncIterable<Uint8Array>,
  options: ReadTraceOptions = {},
): AsyncGenerator<TraceItem, void, undefined> {
  const pending: TraceBatch[] = [];
  const parser = createParser({ ...options, onBatch: (b) => pending.push(b) });
  let devices: readonly PciDevice[] = [];
  let known = -1;
  const drain = function* (): Generator<TraceItem> {
    if (pending.length === 0) return;
    // The device table only changes while the header is read: refresh it when it grew.
    const now = parser.devices();
    if (now.length !== known) {
      devices = now;
      known = now.length;
    }
    for (const batch of pending.splice(0)) {
      yield { type: "batch", batch, devices };
      if (options.recycleBatches) parser.recycle(batch);
    }
  };
  for await (const chunk of source) {
    // Feed big chunks in slices so the batches waiting for the consumer stay few, whatever the
    // source's chunk size.
    for (let at = 0; at < chunk.length; at += FEED_SLICE) {
      parser.feed(chunk.subarray(at, at + FEED_SLICE));
      yield* drain();
    }
  }
  const summary = parser.end();
  yield* drain();
  yield { type: "end", summary };
}

/** A Writable that feeds the parser; `onEnd` gets the summary when the stream finishes. */
export function createTraceWritable(
  options: ParserOptions & { readonly onEnd: (summary: TraceSummary) => void },
): Writable {
  const parser = createParser(options);
  return new Writable({
    write(chunk: Uint8Array, _encoding, callback) {
      try {
        parser.feed(chunk);
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    final(callback) {
      try {
        options.onEnd(parser.end());
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });
}
