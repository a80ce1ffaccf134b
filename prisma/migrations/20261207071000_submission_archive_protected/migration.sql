-- The protected keys (hostname, keys marked private) that the archive's own metadata.json holds,
-- set by ingest: the raw archive download is then for maintainers only. Submissions ingested
-- before this column get it when they are next processed (`reprocess`).
ALTER TABLE "submission" ADD COLUMN "archive_protected" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];
