-- Beyond what Prisma's schema language expresses (a partial index; prisma migrate diff would propose
-- dropping it: keep it).

-- A register search matches rows starting inside the searched range (register_stat_offset_bar_idx)
-- and page rows (span > 1, memory apertures) starting up to a page before it. The page rows are
-- few: this index finds them per trace without reading the register rows around the offset.
CREATE INDEX "register_stat_page_idx" ON "register_stat" ("trace_id", "offset") WHERE "span" > 1;
