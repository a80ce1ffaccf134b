export class BlobTooLargeError extends Error {
  readonly code = "BLOB_TOO_LARGE";
  constructor(readonly limit: number) {
    super(`blob exceeds the limit of ${limit} bytes`);
    this.name = "BlobTooLargeError";
  }
}

export class BlobNotFoundError extends Error {
  readonly code = "BLOB_NOT_FOUND";
  constructor(readonly key: string) {
    super(`no blob ${key}`);
    this.name = "BlobNotFoundError";
  }
}
