export type { BlockColumns } from "./block";
export {
  CODEC_NONE,
  EventStoreFormatError,
  type EventStoreMeta,
  FORMAT_VERSION,
} from "./format";
export { type Checkpoint, type EventStore, openEventStore, type ReadRange } from "./reader";
export { createEventStoreWriter, type EventStoreWriter, type EventStoreWriterOptions } from "./writer";
