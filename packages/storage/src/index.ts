export { type BlobStore, isBlobKey, type PutOptions, type PutResult } from "./blob-store";
export { BlobNotFoundError, BlobTooLargeError } from "./errors";
export { LocalBlobStore } from "./local-blob-store";
