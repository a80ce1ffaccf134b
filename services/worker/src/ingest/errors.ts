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

/**
 * The run was stopped before it counted as an attempt (its job is being handed back to the queue
 * on shutdown): nothing of it was written, and it is neither a failure nor an attempt.
 */
export class RunStopped extends Error {
  constructor() {
    super("stopped before it began: the job is handed back to the queue");
    this.name = "RunStopped";
  }
}
