import { type AnnotatorState, type TextBuffer, TraceAnnotator } from "@mmiohub/annotate";
import { openEnvytoolsDatabase, type RegisterDatabase } from "@mmiohub/rnndb";
import type { BlobStore } from "@mmiohub/storage";
import { EventKind, formatEvent } from "@mmiohub/trace";
import { annotatedName, type EventFilter, passesRow } from "./events-filter";
import { type RowSink, TIMED } from "./events-rows";
import { type BatchSource, ScanState, textBatchSource } from "./events-scan";
import { openTraceText, type TraceTextRef } from "./events-source";
import { AnnotatorStateCache } from "./events-state-cache";
import { EventStoreCache, storeBatchSource } from "./events-store-source";

export interface RangeRequest {
  from: number;
  /** inclusive */
  to: number;
  filter: EventFilter;
  limit: number;
  annotate: boolean;
}

/**
 * Events of catch-up from a checkpoint (decoder state only) a cached annotator state must save
 * before it is kept. Keeping one costs a deep copy of the state that outlives the young generation:
 * with one kept per page, served pages at random offsets (nothing ever found again) spent twice as
 * long in each minor collection (node --trace-gc, in-process: 3.5-4 ms against 2-2.5 ms), and the
 * catch-up it saves from a checkpoint of the worker's default interval (4096) is ~0.1 ms
 * (bench/src/api-events-cpu.bench.ts). Only states far from their checkpoint are worth it.
 */
const CACHE_STATE_AFTER = 8192;

/**
 * `gen` (which closes `src` when it ends), closing `src` also when it is ended before it started (an
 * answer cut before its first byte): a generator's own `finally` runs only once it has started.
 */
function closesSource<T>(src: BatchSource, gen: AsyncGenerator<T>): AsyncGenerator<T> {
  let started = false;
  const next = gen.next.bind(gen);
  gen.next = (...args) => {
    started = true;
    return next(...args);
  };
  const end = gen.return.bind(gen);
  gen.return = (value) => {
    // Once started, its own `finally` closes the source, after a read still running.
    if (!started) src.close();
    return end(value);
  };
  return gen;
}

/** The lines of the annotation written into `out` from `at`, split at its format's line end. */
function annotationLines(out: TextBuffer, at: number): string[] {
  const end = out.format?.lineEnd;
  const text = out.buf.toString("utf8", at, out.pos);
  const lines = text.split(end ? Buffer.from(end).toString("latin1") : "\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Where a trace's events are: its event store when built, else the archive's text. */
export interface TraceRef extends TraceTextRef {
  eventStoreKey?: string | null;
}

/**
 * Reads ranges of a trace's events, annotated. Annotation state at event N depends on every
 * access before it (chipset, PRAMIN window, CRTC index, I2C bus): from the event store, the
 * annotator resumes at the checkpoint before N and annotates only the rest of that interval; from
 * the text (no store yet), it annotates from event 0 with the output before N dropped.
 */
export class EventService {
  private db: RegisterDatabase | undefined | null = null;
  private readonly stores: EventStoreCache;
  private readonly states = new AnnotatorStateCache();

  constructor(
    private readonly storage: BlobStore,
    private readonly rnndbDir: string | undefined,
  ) {
    this.stores = new EventStoreCache(storage);
  }

  /** envytools' database, loaded on first use (about half a second). */
  database(): RegisterDatabase | undefined {
    if (this.db === null) this.db = this.rnndbDir ? openEnvytoolsDatabase(this.rnndbDir) : undefined;
    return this.db;
  }

  /** Version of the register database annotations come from, shown beside every annotated view. */
  rnndbVersion(): string | null {
    return this.database()?.version ?? null;
  }

  private async source(ref: TraceRef): Promise<BatchSource> {
    if (ref.eventStoreKey) return storeBatchSource(await this.stores.get(ref.eventStoreKey));
    return textBatchSource(await openTraceText(this.storage, ref));
  }

  /**
   * An annotator positioned (by checkpoint) at or before `from`, and the event it starts at; it
   * writes into `out` when given (in its format), else into a buffer of its own.
   */
  private async annotatorAt(
    src: BatchSource,
    from: number,
    storeKey?: string | null,
    out?: TextBuffer,
  ): Promise<{ annotator: TraceAnnotator; begin: number }> {
    const annotator = new TraceAnnotator({ nvidia: this.database() }, out ? { out } : undefined);
    const cp = await src.checkpoint(from);
    const cached = storeKey ? this.states.best(storeKey, from, cp?.eventIndex ?? 0) : undefined;
    if (cached) {
      annotator.restore(src.devices(), cached.state);
      return { annotator, begin: cached.eventIndex };
    }
    if (cp?.state) annotator.restore(src.devices(), cp.state as AnnotatorState);
    return { annotator, begin: cp?.eventIndex ?? 0 };
  }

  /**
   * Events of a range, each that passes the filter written by `sink` as a row, the annotator
   * writing the event's annotation into the row in place (no string, no copy per event). Returns
   * how many passed and where to continue when `limit` of them filled the page before `to`.
   */
  async scan(
    ref: TraceRef,
    req: RangeRequest,
    sink: RowSink,
  ): Promise<{ count: number; next: number | null }> {
    const { to, filter, limit } = req;
    const src = await this.source(ref);
    const storeKey = ref.eventStoreKey;
    const out = sink.out;
    let annotator: TraceAnnotator | undefined;
    let begin = 0;
    let annotatedTo = 0;
    try {
      let from = req.from;
      // A time window starts where the store's time index says, not at event 0.
      if (filter.fromUs !== undefined && src.findTime)
        from = Math.max(from, await src.findTime(filter.fromUs));
      const needAnnotation = req.annotate || filter.name !== undefined;
      ({ annotator, begin } = needAnnotation
        ? await this.annotatorAt(src, from, storeKey, out)
        : { annotator: undefined, begin: from });
      // Read once: the filter may be a dictionary-mode object (resolveRange deletes its unset keys).
      const { toUs, name } = filter;
      const everyRow = Object.keys(filter).length === 0;
      let count = 0;
      annotatedTo = begin;
      for await (const b of src.batches(begin, to)) {
        const devices = src.devices();
        const lo = Math.max(0, Math.min(b.length, from - b.start));
        if (annotator && lo > 0) {
          // Catching up from the checkpoint: the decoders' state only, no text.
          annotator.skip(b, devices, 0, lo);
          annotatedTo = b.start + lo;
          // The same link opened again starts here, without the catch-up from the checkpoint.
          if (storeKey && annotatedTo === from && from - begin >= CACHE_STATE_AFTER)
            this.states.put(storeKey, from, annotator.snapshot(devices));
        }
        const hi = Math.min(b.length, to - b.start + 1);
        for (let i = lo; i < hi; i++) {
          // Past the end of a time window once inside it: done. (Before it, a later timestamp may be
          // a damaged trace going backwards, so it does not end the scan.)
          if (toUs !== undefined && count > 0 && TIMED.has(b.kind[i]!) && b.sec[i]! * 1e6 + b.usec[i]! > toUs)
            return { count, next: null };
          const kept = everyRow || passesRow(filter, b, i);
          if (kept) sink.open(b, i);
          const at = out.pos;
          if (annotator) {
            annotator.batch(b, devices, i, i + 1);
            annotatedTo = b.start + i + 1;
          }
          if (!kept) {
            // Annotated for the decoders' state: its text goes.
            out.pos = at;
            continue;
          }
          if (
            name !== undefined &&
            !annotatedName(annotationLines(out, at))?.toLowerCase().startsWith(name)
          ) {
            sink.drop();
            continue;
          }
          if (!req.annotate) out.pos = at;
          sink.close(b, i, at);
          if (++count >= limit) return { count, next: b.start + i < to ? b.start + i + 1 : null };
        }
      }
      return { count, next: null };
    } finally {
      src.close();
      if (annotator && storeKey && annotatedTo - begin >= CACHE_STATE_AFTER)
        this.states.put(storeKey, annotatedTo, annotator.snapshot(src.devices()));
    }
  }

  /** Closes the event stores' blobs (the app's close, after its requests). */
  close(): Promise<void> {
    return this.stores.close();
  }

  /** Events `from..to` as a kernel-format log of their own (VERSION, PCIDEV and live MAP lines first). */
  async log(ref: TraceRef, from: number, to: number): Promise<AsyncGenerator<string>> {
    // Opened before the answer starts, so a missing or unreadable trace is an error status.
    const src = await this.source(ref);
    return closesSource(src, this.logOf(src, from, to));
  }

  private async *logOf(src: BatchSource, from: number, to: number): AsyncGenerator<string> {
    const state = new ScanState(() => src.devices());
    let headerDone = from === 0;
    let headerDevices = 0;
    let pcidevSeen = 0;
    try {
      // From 0 even with an event store: the live mappings at `from` are in the events before it.
      for await (const b of src.batches(0, to)) {
        let out = "";
        const hi = Math.min(b.length, to - b.start + 1);
        for (let i = 0; i < hi; i++) {
          const n = b.start + i;
          const kind = b.kind[i]!;
          if (n >= from) {
            if (!headerDone) {
              out += state.header();
              headerDevices = state.devices().length;
              headerDone = true;
            }
            // Header lines already written: a range starting inside the header must not repeat them.
            const repeated =
              from > 0 &&
              (kind === EventKind.VERSION || (kind === EventKind.PCIDEV && pcidevSeen < headerDevices));
            if (!repeated) out += formatEvent(b, i);
          }
          if (kind === EventKind.PCIDEV) pcidevSeen++;
          state.track(b, i);
        }
        if (out) yield out;
      }
    } finally {
      src.close();
    }
  }

  /** Events `from..to` annotated, in demmio's text format. */
  async annotated(ref: TraceRef, from: number, to: number): Promise<AsyncGenerator<string>> {
    const src = await this.source(ref);
    return closesSource(src, this.annotatedOf(src, from, to));
  }

  private async *annotatedOf(src: BatchSource, from: number, to: number): AsyncGenerator<string> {
    try {
      const { annotator, begin } = await this.annotatorAt(src, from);
      for await (const b of src.batches(begin, to)) {
        const devices = src.devices();
        const lo = Math.max(0, Math.min(b.length, from - b.start));
        if (lo > 0) annotator.skip(b, devices, 0, lo);
        const hi = Math.min(b.length, to - b.start + 1);
        if (hi > lo) annotator.batch(b, devices, lo, hi);
        const out = annotator.writer.take();
        if (out) yield out;
      }
      // An I2C transaction still open at the end of the range prints as it stands.
      annotator.end();
      const rest = annotator.writer.take();
      if (rest) yield rest;
    } finally {
      src.close();
    }
  }
}
