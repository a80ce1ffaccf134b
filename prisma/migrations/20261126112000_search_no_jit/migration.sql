-- PostgreSQL's JIT compiles a query whose estimated cost passes jit_above_cost (100000): searches
-- by register over ~2 million register rows get such estimates and then spent ~30 ms compiling
-- (EXPLAIN ANALYZE "JIT: ... Total 31 ms" of a facet query that runs in 5-10 ms without it). The
-- service's queries are short lookups and aggregations over indexes: JIT off for this database
-- (new connections; the API, the worker and psql alike).
DO $$
BEGIN
  EXECUTE format('ALTER DATABASE %I SET jit = off', current_database());
END
$$;
