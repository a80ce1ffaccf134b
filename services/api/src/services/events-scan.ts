import type { Readable } from "node:stream";
import {
  createParser,
  EventKind,
  formatEvent,
  formatHeader,
  type PciDevice,
  type TraceBatch,
} from "@mmiohub/trace";

/**
 * Where the events of one trace come from: the event store (random access, checkpoints) or, until
 * the worker has built one, the trace text parsed from its start.
 */
export interface BatchSource {
  /** The trace's device table (PCIDEV order) as known after the batches read so far. */
  devices(): readonly PciDevice[];
  /** Batches covering events `start..last` in order; a source may start earlier than `start`. */
  batches(start: number, last: number): AsyncGenerator<TraceBatch>;
  /** Annotator state before some event at or before `n`, when the source keeps checkpoints. */
  checkpoint(n: number): Promise<{ eventIndex: number; state: unknown } | null>;
  /** The first event at or after a time (µs), when the source can find it without a scan. */
  findTime?(timeUs: number): Promise<number>;
  /** Ends the source (closes the stream of a text source, gives an event store back); once or more. */
  close(): void;
}

/** What a range served alone needs to know about the events before it. */
export class ScanState {
  /** The VERSION string seen so far (the kernel's is 20070824). */
  version: string | undefined;
  /** MAP lines of the mappings live right now, by map id. */
  readonly liveMaps = new Map<number, string>();

  constructor(readonly devices: () => readonly PciDevice[]) {}

  /** Call for each event passed, in order. */
  track(b: TraceBatch, i: number): void {
    const k = b.kind[i]!;
    if (k === EventKind.MAP) this.liveMaps.set(b.mapId[i]!, formatEvent(b, i));
    else if (k === EventKind.UNMAP) this.liveMaps.delete(b.mapId[i]!);
    else if (k === EventKind.VERSION && this.version === undefined) {
      const x = b.extra[i]!;
      this.version = (x >= 0 ? b.extras[x]?.text : undefined) ?? undefined;
    }
  }

  /**
   * The lines that make the following events a valid log on their own: VERSION, the PCIDEV lines
   * known so far and the MAP lines of mappings still live (their accesses resolve through them).
   */
  header(): string {
    let out = formatHeader({ version: this.version ?? "20070824", devices: this.devices() as PciDevice[] });
    for (const line of this.liveMaps.values()) out += line;
    return out;
  }
}

/** A source over the trace text: every read parses from event 0 and stops after `last`. */
export function textBatchSource(text: Readable): BatchSource {
  const pending: TraceBatch[] = [];
  const parser = createParser({ onBatch: (b) => pending.push(b), onError: () => {} });
  let used = false;
  return {
    devices: () => parser.devices(),
    checkpoint: async () => null,
    close: () => text.destroy(),
    async *batches(_start, last) {
      if (used) throw new Error("a text source is read once");
      used = true;
      try {
        for await (const chunk of text) {
          parser.feed(chunk as Uint8Array);
          while (pending.length > 0) {
            const batch = pending.shift()!;
            yield batch;
            if (batch.start + batch.length > last) return;
          }
        }
        parser.end();
        for (const batch of pending) {
          yield batch;
          if (batch.start + batch.length > last) return;
        }
      } finally {
        text.destroy();
      }
    },
  };
}
