import { randomBytes } from "node:crypto";
import type { Db } from "@mmiohub/db";
import { JOBS } from "@mmiohub/jobs";
import type { BlobStore, PutResult } from "@mmiohub/storage";
import type { Queue } from "bullmq";
import type { FastifyBaseLogger } from "fastify";
import type { UploadFields } from "../schemas/submission";

/** Short, unguessable, URL-friendly ids (base32, 60 bits). */
export function newId(): string {
  const alphabet = "abcdefghijkmnpqrstuvwxyz23456789";
  return Array.from(randomBytes(12), (b) => alphabet[b % 32]).join("");
}

export interface SubmissionDeps {
  db: Db;
  storage: BlobStore;
  queue: Queue;
  log: FastifyBaseLogger;
}

export interface CreatedSubmission {
  id: string;
  status: "received" | "processing" | "done" | "failed";
  created: boolean;
}

/**
 * Records a stored archive as a submission and asks a worker to process it. The row is the
 * acknowledgement: once it is committed the upload is never lost, even if Redis is down right now
 * (the worker's sweep enqueues submissions that have no job).
 */
export async function createSubmission(
  deps: SubmissionDeps,
  blob: PutResult,
  archiveName: string,
  fields: UploadFields,
): Promise<CreatedSubmission> {
  const { hostname, ...metadata } = fields.metadata ?? {};
  const id = newId();
  const row = await deps.db.submission.upsert({
    where: { archiveSha256: blob.key },
    update: {},
    create: {
      id,
      archiveSha256: blob.key,
      archiveSize: BigInt(blob.size),
      archiveName: archiveName.slice(0, 255),
      description: fields.description ?? null,
      metadata: metadata as object,
      contactEmail: fields.contact_email ?? null,
      hostname: hostname ?? null,
    },
    select: { id: true, status: true },
  });
  const created = row.id === id;
  if (created) await enqueueIngest(deps, row.id);
  return { id: row.id, status: row.status, created };
}

export async function enqueueIngest(deps: Pick<SubmissionDeps, "queue" | "log">, submissionId: string) {
  const payload = { submissionId };
  try {
    await deps.queue.add("ingest", payload, { jobId: JOBS.ingest.jobId(payload) });
  } catch (err) {
    deps.log.warn({ err, submissionId }, "could not enqueue ingest; the worker's sweep will pick it up");
  }
}
