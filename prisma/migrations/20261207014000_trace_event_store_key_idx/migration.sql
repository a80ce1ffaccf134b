-- Whether a trace names a blob as its event store: asked under the blob's lock before deleting it
-- (a failed run's blobs, a replaced event store, each of the blob GC's batches of 500 blobs).
CREATE INDEX "trace_event_store_key_idx" ON "trace"("event_store_key");
