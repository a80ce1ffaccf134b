// The validation report: stable codes, how often each happened and where it happened first.

export const ISSUE_CODES = [
  "VERSION_MISSING",
  "VERSION_UNKNOWN",
  "NO_PCIDEV",
  "UNKNOWN_MAP_ID",
  "ACCESS_OUTSIDE_BARS",
  "MAP_OUTSIDE_BARS",
  "UNMAP_UNKNOWN_ID",
  "TIMESTAMP_BACKWARDS",
  "LOST_EVENTS",
  "UNKNOWN_OPCODE",
  "UNPARSABLE_LINE",
  "LINE_TOO_LONG",
  "TRUNCATED_LAST_LINE",
  "EMPTY_TRACE",
  "LIST_TRUNCATED",
] as const;
export type IssueCode = (typeof ISSUE_CODES)[number];

export type Severity = "error" | "warning" | "info";

const SEVERITY: Record<IssueCode, Severity> = {
  VERSION_MISSING: "warning",
  VERSION_UNKNOWN: "warning",
  NO_PCIDEV: "warning",
  UNKNOWN_MAP_ID: "warning",
  ACCESS_OUTSIDE_BARS: "warning",
  MAP_OUTSIDE_BARS: "warning",
  UNMAP_UNKNOWN_ID: "warning",
  TIMESTAMP_BACKWARDS: "warning",
  LOST_EVENTS: "warning",
  UNKNOWN_OPCODE: "info",
  UNPARSABLE_LINE: "error",
  LINE_TOO_LONG: "error",
  TRUNCATED_LAST_LINE: "warning",
  EMPTY_TRACE: "error",
  LIST_TRUNCATED: "info",
};

const MESSAGES: Record<IssueCode, string> = {
  VERSION_MISSING: "the trace does not start with a VERSION line",
  VERSION_UNKNOWN: "VERSION is not 20070824",
  NO_PCIDEV: "no PCIDEV line: accesses cannot be tied to a device",
  UNKNOWN_MAP_ID: "access through a map id that is not mapped",
  ACCESS_OUTSIDE_BARS: "access outside every known mapping and BAR",
  MAP_OUTSIDE_BARS: "MAP of a physical range outside every BAR",
  UNMAP_UNKNOWN_ID: "UNMAP of a map id that is not mapped",
  TIMESTAMP_BACKWARDS: "timestamp earlier than the previous record's",
  LOST_EVENTS: "the kernel lost events (reported where it noticed, after the gap)",
  UNKNOWN_OPCODE: "UNKNOWN record: an access the kernel could not decode",
  UNPARSABLE_LINE: "line is not a valid mmiotrace record",
  LINE_TOO_LONG: "line longer than the limit; skipped",
  TRUNCATED_LAST_LINE: "the last line has no line ending",
  EMPTY_TRACE: "the trace has no records",
  LIST_TRUNCATED: "a list in the summary reached its limit and was cut",
};

export interface Issue {
  readonly code: IssueCode;
  readonly severity: Severity;
  readonly message: string;
  /** How many times it happened (for LOST_EVENTS: how many events were lost). */
  readonly count: number;
  /** How many lines reported it (for LOST_EVENTS: how many lost-event notices). */
  readonly occurrences: number;
  /** The first few line numbers (1-based); 0 when not tied to a line (missing VERSION, empty trace). */
  readonly firstLines: readonly number[];
}

export interface ValidationReport {
  /** True when no issue of severity `error` was found. */
  readonly ok: boolean;
  readonly issues: readonly Issue[];
}

/** An error value passed to `onError` as it happens. */
export interface TraceError {
  readonly code: IssueCode;
  readonly line: number;
  readonly byteOffset: number;
  readonly message: string;
}

export const FIRST_LINES = 5;

/** Counts issues by numeric code (index in ISSUE_CODES) so the hot path does no lookups. */
export class IssueCounter {
  readonly counts = new Float64Array(ISSUE_CODES.length);
  readonly occurrences = new Float64Array(ISSUE_CODES.length);
  readonly firstLines: number[][] = ISSUE_CODES.map(() => []);

  add(code: number, line: number, amount = 1): void {
    this.counts[code]! += amount;
    if (this.occurrences[code]!++ < FIRST_LINES) this.firstLines[code]!.push(line);
  }

  report(): ValidationReport {
    const issues: Issue[] = [];
    let ok = true;
    ISSUE_CODES.forEach((code, i) => {
      const occurrences = this.occurrences[i]!;
      if (occurrences === 0) return;
      if (SEVERITY[code] === "error") ok = false;
      issues.push({
        code,
        severity: SEVERITY[code],
        message: MESSAGES[code],
        count: this.counts[i]!,
        occurrences,
        firstLines: [...this.firstLines[i]!],
      });
    });
    return { ok, issues };
  }
}

export const issueMessage = (code: IssueCode): string => MESSAGES[code];

/** Numeric index of each code, for IssueCounter.add. */
export const Code = Object.fromEntries(ISSUE_CODES.map((c, i) => [c, i])) as Record<IssueCode, number>;
