-- CreateEnum
CREATE TYPE "TokenRole" AS ENUM ('contributor', 'maintainer');

-- AlterTable
ALTER TABLE "submission" ADD COLUMN     "driver_name" TEXT,
ADD COLUMN     "driver_version" TEXT,
ADD COLUMN     "hidden" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "kernel" TEXT,
ADD COLUMN     "manage_token_hash" TEXT,
ADD COLUMN     "notes" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "uploader_token_id" TEXT,
ADD COLUMN     "withdrawn_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "trace" ADD COLUMN     "access_count" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "event_count" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "event_store_key" TEXT,
ADD COLUMN     "first_us" BIGINT,
ADD COLUMN     "last_us" BIGINT,
ADD COLUMN     "lost_events" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "parser_version" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "rnndb_version" TEXT,
ADD COLUMN     "search_text" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "validation" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "validation_ok" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "warnings" JSONB NOT NULL DEFAULT '[]';

-- CreateTable
CREATE TABLE "trace_card" (
    "trace_id" TEXT NOT NULL,
    "card_index" INTEGER NOT NULL,
    "device_position" INTEGER NOT NULL,
    "vendor_id" INTEGER NOT NULL,
    "device_id" INTEGER NOT NULL,
    "subsystem_vendor_id" INTEGER,
    "subsystem_device_id" INTEGER,
    "pci_name" TEXT,
    "chipset" INTEGER,
    "code_name" TEXT,
    "family" TEXT,
    "architecture" TEXT,
    "stepping" INTEGER,
    "source" TEXT NOT NULL,
    "accesses" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "trace_card_pkey" PRIMARY KEY ("trace_id","card_index")
);

-- CreateTable
CREATE TABLE "trace_marker" (
    "trace_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "event_index" BIGINT NOT NULL,
    "time_us" BIGINT NOT NULL,
    "kind" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "lost" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "trace_marker_pkey" PRIMARY KEY ("trace_id","seq")
);

-- CreateTable
CREATE TABLE "register_stat" (
    "trace_id" TEXT NOT NULL,
    "card_index" INTEGER NOT NULL,
    "bar" INTEGER NOT NULL,
    "offset" BIGINT NOT NULL,
    "reads" BIGINT NOT NULL,
    "writes" BIGINT NOT NULL,
    "first_event" BIGINT NOT NULL,
    "last_event" BIGINT NOT NULL,

    CONSTRAINT "register_stat_pkey" PRIMARY KEY ("trace_id","card_index","bar","offset")
);

-- CreateTable
CREATE TABLE "api_token" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" "TokenRole" NOT NULL,
    "token_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_token_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "upload" (
    "id" TEXT NOT NULL,
    "length" BIGINT NOT NULL,
    "offset" BIGINT NOT NULL DEFAULT 0,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "token_id" TEXT,
    "submission_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "upload_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "submission_created_at_idx" ON "submission"("created_at");

-- CreateIndex
CREATE INDEX "submission_driver_version_idx" ON "submission"("driver_version");

-- CreateIndex
CREATE INDEX "submission_kernel_idx" ON "submission"("kernel");

-- CreateIndex
CREATE INDEX "trace_created_at_idx" ON "trace"("created_at");

-- CreateIndex
CREATE INDEX "trace_card_vendor_id_device_id_idx" ON "trace_card"("vendor_id", "device_id");

-- CreateIndex
CREATE INDEX "trace_card_chipset_idx" ON "trace_card"("chipset");

-- CreateIndex
CREATE INDEX "trace_card_code_name_idx" ON "trace_card"("code_name");

-- CreateIndex
CREATE INDEX "trace_card_family_idx" ON "trace_card"("family");

-- CreateIndex
CREATE INDEX "register_stat_offset_bar_idx" ON "register_stat"("offset", "bar");

-- CreateIndex
CREATE UNIQUE INDEX "api_token_token_hash_key" ON "api_token"("token_hash");

-- CreateIndex
CREATE INDEX "upload_expires_at_idx" ON "upload"("expires_at");

-- AddForeignKey
ALTER TABLE "submission" ADD CONSTRAINT "submission_uploader_token_id_fkey" FOREIGN KEY ("uploader_token_id") REFERENCES "api_token"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "trace_card" ADD CONSTRAINT "trace_card_trace_id_fkey" FOREIGN KEY ("trace_id") REFERENCES "trace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "trace_marker" ADD CONSTRAINT "trace_marker_trace_id_fkey" FOREIGN KEY ("trace_id") REFERENCES "trace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "register_stat" ADD CONSTRAINT "register_stat_trace_id_fkey" FOREIGN KEY ("trace_id") REFERENCES "trace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Free-text search over descriptions and markers, beyond what Prisma's schema language expresses
-- (prisma migrate diff would propose dropping these; keep them).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX "trace_search_text_fts_idx" ON "trace" USING GIN (to_tsvector('simple', "search_text"));
CREATE INDEX "trace_marker_text_trgm_idx" ON "trace_marker" USING GIN ("text" gin_trgm_ops);
