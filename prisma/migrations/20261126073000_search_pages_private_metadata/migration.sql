-- DropIndex
DROP INDEX "trace_created_at_idx";

-- AlterTable
ALTER TABLE "submission" ADD COLUMN     "private_metadata" JSONB NOT NULL DEFAULT '{}';

-- CreateIndex
CREATE INDEX "trace_created_at_id_idx" ON "trace"("created_at", "id");

-- CreateIndex
CREATE INDEX "trace_event_count_id_idx" ON "trace"("event_count", "id");
