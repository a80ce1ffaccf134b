import type { EventStoreMeta } from "@mmiohub/event-store";
import type { TraceSummary } from "@mmiohub/trace";
import type { EventStoreApp, PassOptions } from "./index-pass";
import type { RegisterStatsParts } from "./register-stats";

/** The pass's options as they cross to the indexing thread (the database is opened there). */
export type ThreadPassOptions = Omit<PassOptions, "annotatorDatabases" | "rnndbVersion"> & {
  rnndbDir: string | null;
};

/** Main thread -> indexing thread. */
export type ToThread =
  | { t: "start"; options: ThreadPassOptions }
  /** Trace text, in order. */
  | { t: "data"; bytes: Uint8Array }
  | { t: "end" }
  /** Event-store bytes written to storage (the thread may send that much more). */
  | { t: "ack"; bytes: number };

/** Indexing thread -> main thread. */
export type FromThread =
  | { t: "out"; chunks: Uint8Array[] }
  /** Trace text handed to the parser (the main thread may send that much more). */
  | { t: "taken"; bytes: number }
  | {
      t: "done";
      summary: TraceSummary;
      registers: RegisterStatsParts;
      lostTimes: Map<number, number>;
      meta: EventStoreMeta<EventStoreApp>;
      rnndbError: string | null;
    }
  /** `ingest`: an IngestError (a fault of the input, with its code). */
  | { t: "error"; ingest: boolean; code: string | null; message: string; stack: string | null };

/** Bytes of text, and of event-store output, in flight between the threads at most. */
export const IN_FLIGHT_BYTES = 2 << 20;
