import { randomBytes } from "node:crypto";
import type { PrismaClient, Upload } from "@mmiohub/db";
import type { BlobStore, PutResult } from "@mmiohub/storage";
import type { Queue } from "bullmq";
import type { FastifyBaseLogger } from "fastify";
import { AppError } from "../errors";
import { uploadFields } from "../schemas/submission";
import { isUploadId, parseUploadMetadata, type UploadMetadata, uploadMetadata } from "../schemas/upload";
import { type Auth, isMaintainer } from "./auth-tokens";
import { createSubmission } from "./submission-service";
import type { UploadFiles } from "./upload-files";

export interface UploadDeps {
  db: PrismaClient;
  storage: BlobStore;
  queue: Queue;
  files: UploadFiles;
  log: FastifyBaseLogger;
  maxBytes: number;
  expiryMs: number;
}

export interface FinishedUpload {
  submissionId: string;
  /** False when the same bytes were already a submission. */
  created: boolean;
  /** Only to the request that created the submission. */
  manageToken?: string;
}

function newUploadId(): string {
  const alphabet = "abcdefghijkmnpqrstuvwxyz23456789";
  return Array.from(randomBytes(24), (b) => alphabet[b % 32]).join("");
}

const problemsOf = (issues: { path: PropertyKey[]; message: string }[]) =>
  issues.map((i) => `${i.path.map(String).join(".") || "Upload-Metadata"}: ${i.message}`);

/** Validates Upload-Length and Upload-Metadata (the same rules as a multipart upload) and records the upload. */
export async function createUpload(
  deps: UploadDeps,
  input: { length: string | undefined; metadata: string | undefined; tokenId: string | null },
): Promise<Upload> {
  if (input.length === undefined || !/^\d{1,16}$/.test(input.length)) {
    throw new AppError(
      "BAD_REQUEST",
      "Upload-Length must be the size of the archive in bytes (deferred length is not supported)",
    );
  }
  const length = Number(input.length);
  if (length === 0) throw new AppError("ARCHIVE_EMPTY", "the archive is empty (Upload-Length: 0)");
  if (length > deps.maxBytes) {
    throw new AppError(
      "ARCHIVE_TOO_LARGE",
      `archive exceeds the upload limit of ${deps.maxBytes} bytes (Upload-Length: ${length})`,
    );
  }
  const raw = parseUploadMetadata(input.metadata);
  if (raw === null) {
    throw new AppError("METADATA_INVALID", "Upload-Metadata must be comma-separated 'key base64value' pairs");
  }
  const meta = uploadMetadata.safeParse(raw);
  const fields = uploadFields.safeParse({
    description: raw.description,
    metadata: raw.metadata,
    contact_email: raw.contact_email,
  });
  const problems = [
    ...(meta.success ? [] : problemsOf(meta.error.issues)),
    ...(fields.success ? [] : problemsOf(fields.error.issues)),
  ];
  if (!meta.success || problems.length > 0) {
    throw new AppError("METADATA_INVALID", `invalid upload metadata: ${problems.join("; ")}`, problems);
  }
  const id = newUploadId();
  const row = await deps.db.upload.create({
    data: {
      id,
      length: BigInt(length),
      metadata: meta.data,
      tokenId: input.tokenId,
      expiresAt: new Date(Date.now() + deps.expiryMs),
    },
  });
  await deps.files.create(id);
  return row;
}

/**
 * The upload behind a URL, for a requester allowed to touch it: uploads made with an API token
 * belong to that token (and maintainers); anonymous ones to whoever holds the URL.
 */
export async function loadUpload(deps: UploadDeps, id: string, auth: Auth): Promise<Upload> {
  const row = isUploadId(id) ? await deps.db.upload.findUnique({ where: { id } }) : null;
  if (!row) throw new AppError("NOT_FOUND", `no upload ${id}`);
  if (row.submissionId === null && row.expiresAt.getTime() < Date.now()) {
    await removeUpload(deps, row.id);
    throw new AppError("UPLOAD_GONE", `upload ${id} expired; start a new one`);
  }
  if (row.tokenId !== null && !isMaintainer(auth) && !(auth.kind === "token" && auth.id === row.tokenId)) {
    if (auth.kind === "anonymous")
      throw new AppError("AUTH_REQUIRED", "this upload was started with an API token; send it");
    throw new AppError("FORBIDDEN", "this upload belongs to another token");
  }
  return row;
}

/**
 * Appends one PATCH body at `offset`. The offset moves only with a conditional update, so when two
 * instances race for the same upload exactly one wins and the other answers 409. Bytes that
 * arrived before a cut connection are kept and counted, so the client resumes after them.
 */
export async function appendChunk(
  deps: UploadDeps,
  row: Upload,
  offset: number,
  body: AsyncIterable<Uint8Array>,
  contentLength: number | undefined,
): Promise<{ offset: number; finished: FinishedUpload | null }> {
  const current = Number(row.offset);
  const length = Number(row.length);
  if (offset !== current) {
    throw new AppError(
      "UPLOAD_OFFSET_MISMATCH",
      `Upload-Offset ${offset} does not match the server's offset ${current}`,
    );
  }
  const remaining = length - current;
  if (contentLength !== undefined && contentLength > remaining) {
    throw new AppError(
      "ARCHIVE_TOO_LARGE",
      `this chunk (${contentLength} bytes) goes past Upload-Length (${remaining} bytes left)`,
    );
  }
  const result = remaining > 0 ? await deps.files.write(row.id, current, remaining, body) : { written: 0 };
  const next = current + result.written;
  if (result.written > 0) {
    const { count } = await deps.db.upload.updateMany({
      where: { id: row.id, offset: BigInt(current), submissionId: null },
      data: { offset: BigInt(next), expiresAt: new Date(Date.now() + deps.expiryMs) },
    });
    if (count === 0) {
      throw new AppError(
        "UPLOAD_OFFSET_MISMATCH",
        "another request moved this upload's offset; ask HEAD and resume",
      );
    }
  }
  if ("error" in result && result.error !== undefined) {
    deps.log.info(
      { uploadId: row.id, offset: next, err: result.error },
      "chunk interrupted; kept what arrived",
    );
    throw new AppError("UPLOAD_INTERRUPTED", `the chunk was cut at byte ${next}; resume from there`);
  }
  if ("tooMuch" in result && result.tooMuch) {
    throw new AppError(
      "ARCHIVE_TOO_LARGE",
      `the chunk went past Upload-Length (${length} bytes); kept up to it`,
    );
  }
  if (next < length) return { offset: next, finished: null };
  return { offset: next, finished: await finishUpload(deps, { ...row, offset: BigInt(next) }) };
}

/**
 * Turns a complete upload into a submission. The part file is hashed where it lies (reading only),
 * and only when the hash is the declared sha256 is it moved into blob storage (`adopt`: a rename on
 * a local store, no second copy of the bytes) and does a submission exist. A mismatch keeps
 * nothing. Safe to repeat (a lost answer, a crash between the steps): when the part file is
 * already gone but its blob is stored, the submission is made from that blob.
 */
export async function finishUpload(deps: UploadDeps, row: Upload): Promise<FinishedUpload> {
  if (row.submissionId !== null) return { submissionId: row.submissionId, created: false };
  const meta = row.metadata as UploadMetadata;
  const length = Number(row.length);
  let blob: Pick<PutResult, "key" | "size">;
  const hashed = await deps.files.sha256(row.id, length).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return null;
    throw err;
  });
  if (hashed === null) {
    // Another request finished it first, or a crash came right after the move into storage.
    const again = await deps.db.upload.findUnique({ where: { id: row.id } });
    if (again?.submissionId) return { submissionId: again.submissionId, created: false };
    if ((await deps.storage.size(meta.sha256)) !== length) {
      throw new AppError("UPLOAD_GONE", `the bytes of upload ${row.id} are gone; start a new upload`);
    }
    blob = { key: meta.sha256, size: length };
  } else {
    if (hashed.sha256 !== meta.sha256 || hashed.size !== length) {
      await removeUpload(deps, row.id);
      throw new AppError(
        "CHECKSUM_MISMATCH",
        `the uploaded bytes have sha256 ${hashed.sha256}, not the declared ${meta.sha256}; nothing was kept, upload again`,
      );
    }
    blob = await deps.storage.adopt(deps.files.pathOf(row.id), { key: hashed.sha256, size: length });
  }
  const fields = uploadFields.parse({
    description: meta.description,
    metadata: meta.metadata,
    contact_email: meta.contact_email,
  });
  const result = await createSubmission(
    { db: deps.db, storage: deps.storage, queue: deps.queue, log: deps.log },
    blob,
    meta.filename || "archive",
    fields,
    row.tokenId,
  );
  // The row stays until it expires, so a client whose last answer was lost can still learn the id.
  await deps.db.upload.update({ where: { id: row.id }, data: { submissionId: result.id } });
  await deps.files.delete(row.id);
  deps.log.info(
    { uploadId: row.id, submissionId: result.id, created: result.created, size: length },
    "resumable upload finished",
  );
  return {
    submissionId: result.id,
    created: result.created,
    ...(result.manageToken ? { manageToken: result.manageToken } : {}),
  };
}

export async function removeUpload(deps: Pick<UploadDeps, "db" | "files">, id: string): Promise<void> {
  await deps.db.upload.deleteMany({ where: { id } });
  await deps.files.delete(id);
}

/** Forgets expired uploads (rows and partial bytes) and partial files left without a row. */
export async function sweepUploads(deps: Pick<UploadDeps, "db" | "files" | "expiryMs">, now = new Date()) {
  const expired = await deps.db.upload.findMany({ where: { expiresAt: { lt: now } }, select: { id: true } });
  for (const { id } of expired) await removeUpload(deps, id);
  let orphans = 0;
  const known = async (id: string) => (await deps.db.upload.count({ where: { id } })) > 0;
  for await (const id of deps.files.orphans(known, Math.min(deps.expiryMs, 3_600_000))) {
    await deps.files.delete(id);
    orphans++;
  }
  return { expired: expired.length, orphans };
}
