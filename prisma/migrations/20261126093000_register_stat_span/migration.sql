-- Rows of register_stat for memory apertures (prefetchable BARs such as NVIDIA's BAR1 framebuffer,
-- and NVIDIA's PRAMIN window) stand for a whole 4 KiB page: span says how many bytes a row covers.
ALTER TABLE "register_stat" ADD COLUMN "span" INTEGER NOT NULL DEFAULT 1;
