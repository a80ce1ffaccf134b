-- CreateEnum
CREATE TYPE "SubmissionStatus" AS ENUM ('received', 'processing', 'done', 'failed');

-- CreateTable
CREATE TABLE "submission" (
    "id" TEXT NOT NULL,
    "status" "SubmissionStatus" NOT NULL DEFAULT 'received',
    "reason_code" TEXT,
    "reason" TEXT,
    "archive_sha256" TEXT NOT NULL,
    "archive_size" BIGINT NOT NULL,
    "archive_name" TEXT NOT NULL,
    "description" TEXT,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "contact_email" TEXT,
    "hostname" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "submission_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "trace" (
    "id" TEXT NOT NULL,
    "submission_id" TEXT NOT NULL,
    "member" TEXT NOT NULL,
    "text_bytes" BIGINT NOT NULL,
    "line_count" BIGINT NOT NULL,
    "record_counts" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "trace_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "trace_device" (
    "trace_id" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "bus_devfn" TEXT NOT NULL,
    "vendor_id" INTEGER NOT NULL,
    "device_id" INTEGER NOT NULL,
    "irq" INTEGER NOT NULL,
    "driver" TEXT,
    "bars" JSONB NOT NULL,

    CONSTRAINT "trace_device_pkey" PRIMARY KEY ("trace_id","position")
);

-- CreateIndex
CREATE UNIQUE INDEX "submission_archive_sha256_key" ON "submission"("archive_sha256");

-- CreateIndex
CREATE INDEX "submission_status_created_at_idx" ON "submission"("status", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "trace_submission_id_member_key" ON "trace"("submission_id", "member");

-- CreateIndex
CREATE INDEX "trace_device_vendor_id_device_id_idx" ON "trace_device"("vendor_id", "device_id");

-- AddForeignKey
ALTER TABLE "trace" ADD CONSTRAINT "trace_submission_id_fkey" FOREIGN KEY ("submission_id") REFERENCES "submission"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "trace_device" ADD CONSTRAINT "trace_device_trace_id_fkey" FOREIGN KEY ("trace_id") REFERENCES "trace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
