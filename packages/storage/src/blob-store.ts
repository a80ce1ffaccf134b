import type { Readable } from "node:stream";

/** A blob's key is the lower-case hex sha256 of its bytes. */
export type BlobKey = string;

export interface BlobInfo {
  key: BlobKey;
  size: number;
  modifiedAt: Date;
}

export interface PutOptions {
  /** Abort (and keep nothing) once more than this many bytes arrived. */
  maxBytes?: number;
}

export interface PutResult {
  key: BlobKey;
  size: number;
  /** False when a blob with the same content was already stored. */
  created: boolean;
}

export interface BlobReader {
  readonly size: number;
  /**
   * Bytes [start, end) (end is clamped to the size). `into`: a buffer with room for them that the
   * reader may fill and return a view of, instead of allocating (a store may ignore it).
   */
  read(start: number, end: number, into?: Uint8Array): Promise<Buffer>;
  close(): Promise<void>;
}

/**
 * Content-addressed storage for archives and derived files. Writes are atomic: a blob is visible
 * under its key only once complete. Keys are validated, so nothing is read or written outside the
 * store.
 */
export interface BlobStore {
  put(source: AsyncIterable<Uint8Array> | Readable, options?: PutOptions): Promise<PutResult>;
  /**
   * Takes over a finished local file whose sha256 and size the caller has already computed (a
   * completed resumable upload, verified against its declared checksum), without hashing or
   * copying it again where the backend allows: a rename into place (local directory, same file
   * system), an upload straight under its content key (S3). The file is gone afterwards, moved in
   * or removed when the blob already existed. The caller vouches for the key: a wrong one would
   * store bytes under another content's name.
   */
  adopt(path: string, blob: { key: BlobKey; size: number }): Promise<PutResult>;
  /** Streams the blob, optionally a byte range [start, end] inclusive. */
  get(key: BlobKey, range?: { start: number; end?: number }): Promise<Readable>;
  size(key: BlobKey): Promise<number | null>;
  /**
   * Random access to one blob (event stores are read block by block): byte ranges without opening
   * it again for each. Close it when done. BlobNotFoundError when there is no such blob.
   */
  openReader(key: BlobKey): Promise<BlobReader>;
  delete(key: BlobKey): Promise<void>;
  /** Every blob in the store with its size and time of writing (orphan checks, garbage collection). */
  list(): AsyncIterable<BlobInfo>;
  /** Removes temporary data of writes that never finished (a process killed mid-put); returns how many. */
  removeStaleTemporaries(olderThanMs: number): Promise<number>;
}

export function isBlobKey(key: string): boolean {
  return /^[0-9a-f]{64}$/.test(key);
}
