/**
 * Events per event-store block, and between annotator checkpoints (EVENT_BLOCK_EVENTS,
 * CHECKPOINT_INTERVAL). A page of events at a random offset decodes its block from the start and
 * annotates (state only) from the checkpoint up to the offset: with 1024 rather than 4096, an
 * events API page of 500 cost 1.25 ms of API CPU against 1.45-1.60 ms, for an event store 2% larger
 * (340.7 MB against 333.2 MB for 20M events) and ingest 21 s against 20 s (bench/src/api.bench.ts,
 * rows "interval 1024" and "interval 4096").
 */
export const DEFAULT_BLOCK_EVENTS = 1024;
export const DEFAULT_CHECKPOINT_INTERVAL = 1024;
