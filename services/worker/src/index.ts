export { loadWorkerEnv, type WorkerConfig } from "./env";
export { type EventStoreApp, indexTrace } from "./index-trace/index-trace";
export { IngestError } from "./ingest/errors";
export { type IngestDeps, ingestSubmission, readSubmission } from "./ingest/pipeline";
export { buildRecords } from "./ingest/records";
export { type ReprocessFilter, reprocess } from "./reprocess";
