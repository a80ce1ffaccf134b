export {
  type BlobInfo,
  type BlobKey,
  type BlobReader,
  type BlobStore,
  isBlobKey,
  type PutOptions,
  type PutResult,
} from "./blob-store";
export { createBlobStore, type StorageConfig, storageEnv } from "./create";
export { BlobNotFoundError, BlobTooLargeError } from "./errors";
export { GatheredWrites } from "./gathered-writes";
export { LocalBlobStore } from "./local-blob-store";
export { S3BlobStore, type S3BlobStoreOptions } from "./s3-blob-store";
