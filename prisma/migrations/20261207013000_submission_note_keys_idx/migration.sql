-- Beyond what Prisma's schema language expresses (an expression index; prisma migrate diff would
-- propose dropping it: keep it).

-- The blob keys named inside a submission's notes (its kept attachments). Deleting an unreferenced
-- blob (a failed run's, a replaced event store, the blob GC's batches of 500) asks whether any
-- submission names it: with this index that is a lookup, not a walk through every submission's
-- notes per batch. The expression must stay the one deleteUnreferencedBlobs queries.
CREATE INDEX "submission_note_keys_idx" ON "submission"
  USING gin ((jsonb_path_query_array("notes", 'strict $.**.key')));
