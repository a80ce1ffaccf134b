-- Beyond what Prisma's schema language expresses (prisma migrate diff would propose dropping these;
-- keep them).

-- The busiest registers of a trace (trace page plot, sequence page filter list) are read in this
-- order: without the index every page view sorted all of a trace's rows (millions for a big trace).
CREATE INDEX "register_stat_busiest_idx" ON "register_stat" ("trace_id", (("reads" + "writes")) DESC, "offset");

-- The API caches search answers and trace pages' rows; any change to what they are made of tells
-- every API instance (LISTEN mmiohub_search_changed) to forget them. Statement-level: a COPY of
-- millions of register rows notifies once, and PostgreSQL folds repeats within a transaction and
-- delivers them at commit.
CREATE FUNCTION "mmiohub_notify_search_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('mmiohub_search_changed', TG_TABLE_NAME);
  RETURN NULL;
END
$$;
CREATE TRIGGER "submission_search_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "submission"
  FOR EACH STATEMENT EXECUTE FUNCTION "mmiohub_notify_search_changed"();
CREATE TRIGGER "trace_search_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "trace"
  FOR EACH STATEMENT EXECUTE FUNCTION "mmiohub_notify_search_changed"();
CREATE TRIGGER "trace_card_search_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "trace_card"
  FOR EACH STATEMENT EXECUTE FUNCTION "mmiohub_notify_search_changed"();
CREATE TRIGGER "trace_device_search_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "trace_device"
  FOR EACH STATEMENT EXECUTE FUNCTION "mmiohub_notify_search_changed"();
CREATE TRIGGER "trace_marker_search_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "trace_marker"
  FOR EACH STATEMENT EXECUTE FUNCTION "mmiohub_notify_search_changed"();
CREATE TRIGGER "register_stat_search_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "register_stat"
  FOR EACH STATEMENT EXECUTE FUNCTION "mmiohub_notify_search_changed"();
