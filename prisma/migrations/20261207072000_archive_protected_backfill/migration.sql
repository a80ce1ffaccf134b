-- Submissions stored before archive_protected existed: their archive may hold the protected keys
-- stored for them (ingest took them from metadata.json, or the form gave them: which one was not
-- recorded). Until such a submission is processed again, which names exactly what its archive
-- holds, its archive as uploaded is for maintainers only when it has any.
UPDATE "submission" SET "archive_protected" = ARRAY(
    SELECT k FROM (
      SELECT 'hostname' AS k WHERE "hostname" IS NOT NULL
      UNION
      SELECT jsonb_object_keys(
        CASE WHEN jsonb_typeof("private_metadata") = 'object' THEN "private_metadata" ELSE '{}'::jsonb END)
    ) AS held ORDER BY k)
  WHERE cardinality("archive_protected") = 0
    AND ("hostname" IS NOT NULL
      OR (jsonb_typeof("private_metadata") = 'object' AND "private_metadata" <> '{}'::jsonb));
