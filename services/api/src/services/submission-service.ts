import { randomBytes } from "node:crypto";
import type { Db, SubmissionStatus } from "@mmiohub/db";
import { enqueueNewIngest } from "@mmiohub/jobs";
import type { BlobStore, PutResult } from "@mmiohub/storage";
import type { Queue } from "bullmq";
import type { FastifyBaseLogger } from "fastify";
import type { SubmissionMetadata, UploadFields } from "../schemas/submission";
import { newManageToken } from "./auth-tokens";

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
  status: SubmissionStatus;
  created: boolean;
  /** The private manage token, only when this call created the submission. */
  manageToken?: string;
}

/** "Linux 6.1.0-13-amd64 #1 SMP ..." (uname -srvmo) -> "6.1.0-13-amd64", for the kernel filter. */
export function kernelRelease(kernel: string): string {
  const words = kernel.trim().split(/\s+/);
  const release = words.slice(0, 2).find((w) => /^\d+\.\d+/.test(w));
  return (release ?? kernel.trim()).slice(0, 100);
}

/**
 * Splits uploaded metadata into what anyone may read and what only maintainers may: the hostname
 * and every key listed in `metadata.private` go to their own columns, never into `metadata`.
 */
export function splitMetadata(meta: SubmissionMetadata = {}) {
  const { hostname, private: privateKeys = [], ...rest } = meta;
  const hidden = new Set(privateKeys);
  const publicMeta: Record<string, unknown> = {};
  const privateMeta: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) (hidden.has(key) ? privateMeta : publicMeta)[key] = value;
  const kernel = typeof publicMeta.kernel === "string" ? kernelRelease(publicMeta.kernel) : null;
  const driver = publicMeta.driver as SubmissionMetadata["driver"];
  return {
    publicMeta,
    privateMeta,
    hostname: hostname ?? null,
    kernel,
    driverName: driver?.name?.toLowerCase().slice(0, 100) ?? null,
    driverVersion: driver?.version?.slice(0, 100) ?? null,
  };
}

/**
 * Records a stored archive as a submission and asks a worker to process it. The row is the
 * acknowledgement: once it is committed the upload is never lost, even if Redis is down right now
 * (the worker's sweep enqueues submissions that have no job).
 */
export async function createSubmission(
  deps: SubmissionDeps,
  blob: Pick<PutResult, "key" | "size">,
  archiveName: string,
  fields: UploadFields,
  uploaderTokenId: string | null = null,
): Promise<CreatedSubmission> {
  const meta = splitMetadata(fields.metadata);
  const manage = newManageToken();
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
      metadata: meta.publicMeta as object,
      privateMetadata: meta.privateMeta as object,
      contactEmail: fields.contact_email ?? null,
      hostname: meta.hostname,
      kernel: meta.kernel,
      driverName: meta.driverName,
      driverVersion: meta.driverVersion,
      manageTokenHash: manage.hash,
      uploaderTokenId,
    },
    select: { id: true, status: true },
  });
  const created = row.id === id;
  if (!created) return { id: row.id, status: row.status, created };
  await enqueueOrLeaveToSweep(deps, row.id);
  return { id: row.id, status: row.status, created, manageToken: manage.token };
}

/** Enqueues a new submission's ingest; with Redis down, the worker's sweep finds it later. */
async function enqueueOrLeaveToSweep(
  deps: Pick<SubmissionDeps, "queue" | "log">,
  submissionId: string,
): Promise<void> {
  try {
    await enqueueNewIngest(deps.queue, submissionId);
  } catch (err) {
    deps.log.warn({ err, submissionId }, "could not enqueue ingest; the worker's sweep will pick it up");
  }
}
