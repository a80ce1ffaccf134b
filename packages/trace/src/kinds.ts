// Numeric codes for the columns of a batch. The numbers are part of the stored format of other
// packages (the ingest worker writes them to disk), so never renumber: only append.

/** What one line of the log is. */
export const EventKind = {
  /** A line that could not be parsed (kept so line counts and event numbers stay aligned). */
  INVALID: 0,
  READ: 1,
  WRITE: 2,
  MAP: 3,
  UNMAP: 4,
  MARK: 5,
  UNKNOWN: 6,
  /** `MARK 0.000000 Lost N events.`: the kernel's own count of records dropped; value = N. */
  LOST: 7,
  VERSION: 8,
  PCIDEV: 9,
  LSPCI: 10,
  /** ftrace's `CPU:n [LOST N EVENTS]` notice from trace_pipe; value = N, mapId = cpu. */
  CPU_LOST: 11,
} as const;
export type EventKind = (typeof EventKind)[keyof typeof EventKind];

export const EVENT_KIND_COUNT = 12;

/** Names as they appear in summaries (`counts`) and logs. */
export const EVENT_KIND_NAMES = [
  "INVALID",
  "R",
  "W",
  "MAP",
  "UNMAP",
  "MARK",
  "UNKNOWN",
  "LOST",
  "VERSION",
  "PCIDEV",
  "LSPCI",
  "CPU_LOST",
] as const;
export type EventKindName = (typeof EVENT_KIND_NAMES)[number];

/** Bits of the `flags` column. */
export const EventFlag = {
  /** The line ended in `\r\n`. */
  CRLF: 1,
  /** The line was the last of the input and had no line ending at all. */
  NO_EOL: 2,
  /** The access was resolved through its live mapping (otherwise through the PCIDEV BARs). */
  VIA_MAP: 4,
  /** The line was longer than the limit; nothing of it was kept. */
  TOO_LONG: 8,
} as const;

/** `device` column value for an access that falls in no known region. */
export const UNRESOLVED = -1;
