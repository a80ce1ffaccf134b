export type { EventExtra, TraceBatch } from "./batch";
export { CardTracker, NVIDIA_VENDOR } from "./cards";
export {
  type BootDecode,
  CHIPSET_FAMILIES,
  CHIPSET_NAMES,
  type ChipsetFamily,
  type ChipsetIdentity,
  chipsetFamily,
  chipsetName,
  decodeBoot0,
  decodeBoot42,
  FIRST_BOOT42_CHIPSET,
  identifyChipset,
} from "./chipsets";
export { eventAt, type TraceEvent, toBigInt } from "./event";
export {
  EVENT_KIND_COUNT,
  EVENT_KIND_NAMES,
  EventFlag,
  EventKind,
  type EventKindName,
  UNRESOLVED,
} from "./kinds";
export type { CardIdentity, LostReport, Mapping, Marker, PciBar, PciDevice } from "./model-types";
export { hex64 } from "./model-types";
export { createParser, type ParserOptions, type TraceParser } from "./parser";
export {
  ISSUE_CODES,
  type Issue,
  type IssueCode,
  type Severity,
  type TraceError,
  type ValidationReport,
} from "./report";
export { createTraceWritable, type ReadTraceOptions, readTrace, type TraceItem } from "./stream";
export type { Timestamp, TraceSummary } from "./summary";
export { formatEvent, formatEvents, formatHeader } from "./writer";
