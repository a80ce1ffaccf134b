/**
 * A problem with the uploaded archive itself: retrying cannot help, so the submission fails for
 * good with this code and message stored as its reason.
 */
export type IngestErrorCode =
  | "ARCHIVE_EMPTY"
  | "ARCHIVE_CORRUPT"
  | "ARCHIVE_TRUNCATED"
  | "ARCHIVE_UNSUPPORTED_FORMAT"
  | "ARCHIVE_TOO_LARGE"
  | "ARCHIVE_BOMB"
  | "ARCHIVE_TOO_MANY_MEMBERS"
  | "ARCHIVE_UNSAFE_MEMBER"
  | "ARCHIVE_UNSUPPORTED_MEMBER"
  | "ARCHIVE_BLOB_MISSING"
  | "TRACE_NOT_FOUND"
  | "TRACE_EMPTY"
  | "TRACE_LINE_TOO_LONG"
  | "METADATA_INVALID"
  | "PROCESSING_ABANDONED";

export class IngestError extends Error {
  constructor(
    readonly code: IngestErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "IngestError";
  }
}
