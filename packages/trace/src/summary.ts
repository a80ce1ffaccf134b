// What the parser knows at `end()`: a plain, JSON-able object.
import type { EventKindName } from "./kinds";
import type { CardIdentity, LostReport, Mapping, Marker, PciDevice } from "./model-types";
import type { ValidationReport } from "./report";

export interface Timestamp {
  readonly sec: number;
  readonly usec: number;
}

export interface TraceSummary {
  /** The VERSION string (first VERSION line), or null when there is none. */
  readonly version: string | null;
  /** Events (= lines, blank and unparsable ones included). */
  readonly events: number;
  readonly lines: number;
  readonly bytes: number;
  /** Events by kind name. */
  readonly counts: Record<EventKindName, number>;
  readonly accesses: {
    /** R, W and UNKNOWN records. */
    readonly total: number;
    readonly resolved: number;
    /** Resolved through the live mapping of their map id (the rest through PCIDEV BARs). */
    readonly viaMap: number;
    readonly unresolved: number;
  };
  readonly devices: readonly PciDevice[];
  readonly mappings: readonly Mapping[];
  readonly cards: readonly CardIdentity[];
  /** MARK records (not the lost-events notices) with their event numbers: the trace's phases. */
  readonly markers: readonly Marker[];
  readonly lost: {
    /**
     * Events the kernel dropped: the sum of the `Lost N events.` markers, or of ftrace's
     * `CPU:n [LOST N EVENTS]` notices when the trace has no markers (both report the same loss).
     */
    readonly events: number;
    readonly reports: readonly LostReport[];
  };
  /** First and last timestamps of timed records (lost-event markers excluded). */
  readonly firstTimestamp: Timestamp | null;
  readonly lastTimestamp: Timestamp | null;
  readonly report: ValidationReport;
}
