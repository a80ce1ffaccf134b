import type { MultipartFile, MultipartValue } from "@fastify/multipart";
import type { BlobStore, PutResult } from "@mmiohub/storage";
import { BlobTooLargeError } from "@mmiohub/storage";
import type { FastifyRequest } from "fastify";
import { AppError } from "../errors";
import { type UploadFields, uploadFields } from "../schemas/submission";

export interface ReceivedUpload {
  blob: PutResult;
  archiveName: string;
  fields: UploadFields;
}

const formatBytes = (n: number) =>
  n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;

/**
 * Streams the multipart upload's `archive` into blob storage while hashing it (never buffering the
 * whole file), collects the text fields and validates them. On any failure the freshly stored blob
 * is removed again, unless another submission already owns the same bytes.
 */
export async function receiveUpload(
  request: FastifyRequest,
  storage: BlobStore,
  maxBytes: number,
  isReferenced: (key: string) => Promise<boolean>,
): Promise<ReceivedUpload> {
  if (!request.isMultipart()) {
    throw new AppError(
      "UNSUPPORTED_MEDIA_TYPE",
      "send the upload as multipart/form-data with the file in a field named 'archive'",
    );
  }
  const raw: Record<string, string> = {};
  let blob: PutResult | undefined;
  let archiveName = "";
  const discard = async () => {
    if (blob?.created && !(await isReferenced(blob.key))) await storage.delete(blob.key);
  };
  try {
    for await (const part of request.parts() as AsyncIterable<MultipartFile | MultipartValue>) {
      if (part.type === "file") {
        if (part.fieldname !== "archive" || blob) {
          part.file.resume();
          throw new AppError(
            "BAD_REQUEST",
            `unexpected file field '${part.fieldname}': send one archive in the field 'archive'`,
          );
        }
        archiveName = part.filename || "archive";
        blob = await storage.put(part.file, { maxBytes });
      } else {
        raw[part.fieldname] = String(part.value);
      }
    }
  } catch (err) {
    await discard();
    const code = (err as { code?: string }).code;
    if (err instanceof BlobTooLargeError || code === "FST_REQ_FILE_TOO_LARGE") {
      throw new AppError(
        "ARCHIVE_TOO_LARGE",
        `archive exceeds the upload limit of ${maxBytes} bytes (${formatBytes(maxBytes)})`,
      );
    }
    if (code === "FST_FILES_LIMIT") {
      throw new AppError("BAD_REQUEST", "more than one file: send one archive in the field 'archive'");
    }
    // busboy's own faults of the body (no boundary, a broken part header, a body cut short)
    const message = (err as Error).message ?? "";
    if (/^(Multipart: |Malformed part header|Unexpected end of form)/.test(message)) {
      throw new AppError("BAD_REQUEST", `malformed multipart/form-data body: ${message}`);
    }
    if (
      code === "FST_INVALID_MULTIPART_CONTENT_TYPE" ||
      code === "FST_PARTS_LIMIT" ||
      code === "FST_FIELDS_LIMIT"
    ) {
      throw new AppError("BAD_REQUEST", (err as Error).message);
    }
    throw err;
  }
  if (!blob) throw new AppError("ARCHIVE_MISSING", "no file in the field 'archive'");
  if (archiveName.length > 255 || archiveName.includes("\0")) {
    await discard();
    const problem = `archive file name: ${archiveName.length > 255 ? "must be at most 255 characters" : "must not contain NUL characters"}`;
    throw new AppError("METADATA_INVALID", `invalid upload fields: ${problem}`, [problem]);
  }
  if (blob.size === 0) {
    await discard();
    throw new AppError("ARCHIVE_EMPTY", "the archive is empty (0 bytes)");
  }
  const parsed = uploadFields.safeParse(raw);
  if (!parsed.success) {
    await discard();
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "form"}: ${i.message}`);
    throw new AppError("METADATA_INVALID", `invalid upload fields: ${problems.join("; ")}`, problems);
  }
  return { blob, archiveName, fields: parsed.data };
}
