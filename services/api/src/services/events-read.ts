import { type AnnotatorState, TraceAnnotator } from "@mmiohub/annotate";
import { openEnvytoolsDatabase, type RegisterDatabase } from "@mmiohub/rnndb";
import type { BlobStore } from "@mmiohub/storage";
import { EVENT_KIND_NAMES, EventKind, formatEvent, type TraceBatch } from "@mmiohub/trace";
import { annotatedName, type EventFilter, isAccess, passesRow } from "./events-filter";
import { type BatchSource, ScanState, textBatchSource } from "./events-scan";
import { openTraceText, type TraceTextRef } from "./events-source";
import { AnnotatorStateCache } from "./events-state-cache";
import { EventStoreCache, storeBatchSource } from "./events-store-source";

/** One event as the API and the sequence view show it. */
export interface EventRow {
  n: number;
  kind: string;
  /** the kernel-format line, without its line ending */
  line: string;
  /** "sec.usec" as printed, null for lines without a timestamp */
  time: string | null;
  device: number | null;
  bar: number | null;
  offset: string | null;
  width: number | null;
  value: string | null;
  access: "R" | "W" | null;
  /** demmio-format lines this event produced (an I2C transaction prints when it ends) */
  annotated: string[];
}

export interface RangeRequest {
  from: number;
  /** inclusive */
  to: number;
  filter: EventFilter;
  limit: number;
  annotate: boolean;
}

export interface RangeResult {
  events: EventRow[];
  /** where to continue when the page filled up before `to`, else null */
  next: number | null;
}

const TIMED = new Set<number>([
  EventKind.READ,
  EventKind.WRITE,
  EventKind.MAP,
  EventKind.UNMAP,
  EventKind.MARK,
  EventKind.UNKNOWN,
  EventKind.LOST,
]);

const hex = (n: number, digits: number) => `0x${n.toString(16).padStart(digits, "0")}`;

/** A kernel line without its line ending ("\n" or "\r\n"). */
function withoutEol(line: string): string {
  let end = line.length;
  if (line.charCodeAt(end - 1) === 10) end--;
  else return line;
  if (line.charCodeAt(end - 1) === 13) end--;
  return line.slice(0, end);
}

function rowOf(b: TraceBatch, i: number, annotated: string[]): EventRow {
  const kind = b.kind[i]!;
  const access = isAccess(kind);
  const resolved = access && b.device[i]! >= 0;
  const hi = b.valueHi[i]!;
  const lo = b.valueLo[i]!;
  const width = b.width[i]!;
  return {
    n: b.start + i,
    kind: EVENT_KIND_NAMES[kind] ?? "INVALID",
    line: withoutEol(formatEvent(b, i)),
    time: TIMED.has(kind) ? `${b.sec[i]}.${b.usec[i]!.toString().padStart(6, "0")}` : null,
    device: resolved ? b.device[i]! : null,
    bar: resolved ? b.bar[i]! : null,
    offset: resolved ? hex(b.offsetHi[i]! * 0x100000000 + b.offsetLo[i]!, 6) : null,
    width: access ? width : null,
    value: access
      ? hi
        ? `0x${hi.toString(16)}${lo.toString(16).padStart(8, "0")}`
        : hex(lo, width * 2)
      : null,
    access: access ? (kind === EventKind.WRITE ? "W" : "R") : null,
    annotated,
  };
}

function lines(text: string): string[] {
  if (text === "") return [];
  const out = text.split("\n");
  if (out[out.length - 1] === "") out.pop();
  return out;
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

  /** An annotator positioned (by checkpoint) at or before `from`, and the event it starts at. */
  private async annotatorAt(
    src: BatchSource,
    from: number,
    storeKey?: string | null,
  ): Promise<{ annotator: TraceAnnotator; begin: number }> {
    const annotator = new TraceAnnotator({ nvidia: this.database() });
    const cp = await src.checkpoint(from);
    const cached = storeKey ? this.states.best(storeKey, from, cp?.eventIndex ?? 0) : undefined;
    if (cached) {
      annotator.restore(src.devices(), cached.state);
      return { annotator, begin: cached.eventIndex };
    }
    if (cp?.state) annotator.restore(src.devices(), cp.state as AnnotatorState);
    return { annotator, begin: cp?.eventIndex ?? 0 };
  }

  async read(ref: TraceRef, req: RangeRequest): Promise<RangeResult> {
    const { to, filter, limit } = req;
    const src = await this.source(ref);
    let from = req.from;
    // A time window starts where the store's time index says, not at event 0.
    if (filter.fromUs !== undefined && src.findTime) from = Math.max(from, await src.findTime(filter.fromUs));
    const needAnnotation = req.annotate || filter.name !== undefined;
    const storeKey = ref.eventStoreKey;
    const { annotator, begin } = needAnnotation
      ? await this.annotatorAt(src, from, storeKey)
      : { annotator: undefined, begin: from };
    const events: EventRow[] = [];
    let annotatedTo = begin;
    try {
      for await (const b of src.batches(begin, to)) {
        const devices = src.devices();
        const lo = Math.max(0, Math.min(b.length, from - b.start));
        if (annotator && lo > 0) {
          // Catching up from the checkpoint: the decoders' state only, no text.
          annotator.skip(b, devices, 0, lo);
          annotatedTo = b.start + lo;
          // The same link opened again starts here, without the catch-up from the checkpoint.
          if (storeKey && annotatedTo === from) this.states.put(storeKey, from, annotator.snapshot(devices));
        }
        const hi = Math.min(b.length, to - b.start + 1);
        for (let i = lo; i < hi; i++) {
          let annotated: string[] = [];
          if (annotator) {
            annotator.batch(b, devices, i, i + 1);
            annotated = lines(annotator.writer.take());
            annotatedTo = b.start + i + 1;
          }
          // Past the end of a time window once inside it: done. (Before it, a later timestamp may be
          // a damaged trace going backwards, so it does not end the scan.)
          if (
            filter.toUs !== undefined &&
            events.length > 0 &&
            TIMED.has(b.kind[i]!) &&
            b.sec[i]! * 1e6 + b.usec[i]! > filter.toUs
          )
            return { events, next: null };
          if (!passesRow(filter, b, i)) continue;
          if (filter.name !== undefined && !annotatedName(annotated)?.toLowerCase().startsWith(filter.name))
            continue;
          events.push(rowOf(b, i, req.annotate ? annotated : []));
          if (events.length >= limit) return { events, next: b.start + i < to ? b.start + i + 1 : null };
        }
      }
    } finally {
      src.close();
      if (annotator && storeKey && annotatedTo > begin)
        this.states.put(storeKey, annotatedTo, annotator.snapshot(src.devices()));
    }
    return { events, next: null };
  }

  /** Events `from..to` as a kernel-format log of their own (VERSION, PCIDEV and live MAP lines first). */
  async log(ref: TraceRef, from: number, to: number): Promise<AsyncGenerator<string>> {
    // Opened before the answer starts, so a missing or unreadable trace is an error status.
    return this.logOf(await this.source(ref), from, to);
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
    return this.annotatedOf(await this.source(ref), from, to);
  }

  private async *annotatedOf(src: BatchSource, from: number, to: number): AsyncGenerator<string> {
    const { annotator, begin } = await this.annotatorAt(src, from);
    try {
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
