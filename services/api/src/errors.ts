/**
 * Errors with stable codes. The HTTP status of each code is decided here, in one place; the error
 * handler passes the message through below 500 and hides it above.
 */
const STATUS = {
  BAD_REQUEST: 400,
  METADATA_INVALID: 400,
  ARCHIVE_MISSING: 400,
  ARCHIVE_EMPTY: 400,
  CURSOR_INVALID: 400,
  /** The connection closed in the middle of a chunk; what arrived is kept. */
  UPLOAD_INTERRUPTED: 400,
  TOKEN_INVALID: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_REVOKED: 401,
  AUTH_REQUIRED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  UPLOAD_OFFSET_MISMATCH: 409,
  SUBMISSION_BUSY: 409,
  SUBMISSION_WITHDRAWN: 410,
  UPLOAD_GONE: 410,
  TUS_VERSION_UNSUPPORTED: 412,
  ARCHIVE_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  /** tus' checksum extension uses 460 for "the bytes do not match the declared checksum". */
  CHECKSUM_MISMATCH: 460,
  SERVICE_UNAVAILABLE: 503,
} as const;
export type ErrorCode = keyof typeof STATUS;

export class AppError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "AppError";
    this.statusCode = STATUS[code];
  }
}
