/**
 * Errors with stable codes. The HTTP status of each code is decided here, in one place; the error
 * handler passes the message through below 500 and hides it above.
 */
const STATUS = {
  BAD_REQUEST: 400,
  METADATA_INVALID: 400,
  ARCHIVE_MISSING: 400,
  ARCHIVE_EMPTY: 400,
  NOT_FOUND: 404,
  UNSUPPORTED_MEDIA_TYPE: 415,
  ARCHIVE_TOO_LARGE: 413,
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
