import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { rm, stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import {
  type BlobInfo,
  type BlobKey,
  type BlobReader,
  type BlobStore,
  isBlobKey,
  type PutOptions,
  type PutResult,
} from "./blob-store";
import { BlobNotFoundError, BlobTooLargeError } from "./errors";

export interface S3BlobStoreOptions {
  bucket: string;
  /** Key prefix inside the bucket (e.g. "mmiohub/"). */
  prefix?: string;
  client?: S3ClientConfig;
  /** Multipart part size (S3 minimum 5 MiB); also the most a put holds in memory at once. */
  partSize?: number;
}

const MiB = 1024 * 1024;
const MAX_COPY = 5 * 1024 * MiB; // larger objects are copied part by part
const COPY_PART = 1024 * MiB;

const isMissing = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === "NotFound" || e.name === "NoSuchKey" || e.$metadata?.httpStatusCode === 404;
};

/**
 * Blobs in an S3-compatible bucket, for deployments that outgrow one machine. The key is not known
 * until the last byte has been hashed, so a put streams into a temporary object (multipart, one part
 * in memory at a time), then copies it under its content key server-side and deletes the temporary.
 * Readers never see a partial blob under a content key.
 */
export class S3BlobStore implements BlobStore {
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;

  constructor(options: S3BlobStoreOptions) {
    this.client = new S3Client(options.client ?? {});
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? "";
    this.partSize = Math.max(options.partSize ?? 8 * MiB, 5 * MiB);
  }

  private objectKey(key: BlobKey): string {
    if (!isBlobKey(key)) throw new BlobNotFoundError(key);
    return `${this.prefix}sha256/${key.slice(0, 2)}/${key}`;
  }

  async put(source: AsyncIterable<Uint8Array> | Readable, options: PutOptions = {}): Promise<PutResult> {
    const tmpKey = `${this.prefix}tmp/${Date.now()}-${randomBytes(8).toString("hex")}`;
    const hash = createHash("sha256");
    let size = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const out = new ObjectWriter(this.client, this.bucket, tmpKey);
    const take = () => {
      const body = Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      return body;
    };
    try {
      for await (const chunk of source) {
        size += chunk.byteLength;
        if (options.maxBytes !== undefined && size > options.maxBytes)
          throw new BlobTooLargeError(options.maxBytes);
        hash.update(chunk);
        pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        pendingBytes += chunk.byteLength;
        if (pendingBytes >= this.partSize) await out.part(take());
      }
      await out.finish(take());
    } catch (err) {
      await out.abort();
      // The temporary object may exist all the same: a PutObject or CompleteMultipartUpload that
      // failed on this side (timeout, cut connection) after the server had finished it.
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: tmpKey })).catch(() => {});
      throw err;
    }
    const key = hash.digest("hex");
    try {
      const created = (await this.size(key)) === null;
      if (created) await this.copy(tmpKey, this.objectKey(key), size);
      return { key, size, created };
    } finally {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: tmpKey })).catch(() => {});
    }
  }

  /**
   * The key is known, so the file goes straight under it (multipart, one part in memory at a time):
   * no temporary object and no server-side copy. An unfinished multipart upload is invisible, so
   * readers still never see a partial blob.
   */
  async adopt(path: string, blob: { key: BlobKey; size: number }): Promise<PutResult> {
    const s = await stat(path);
    if (!s.isFile() || s.size !== blob.size)
      throw new Error(`adopt: ${path} is not a file of ${blob.size} bytes (found ${s.size})`);
    if ((await this.size(blob.key)) !== null) {
      await rm(path, { force: true });
      return { key: blob.key, size: blob.size, created: false };
    }
    const out = new ObjectWriter(this.client, this.bucket, this.objectKey(blob.key));
    const read = async (start: number, end: number) => {
      const chunks: Buffer[] = [];
      if (end > start)
        for await (const c of createReadStream(path, { start, end: end - 1 })) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    };
    try {
      let start = 0;
      for (; blob.size - start > this.partSize; start += this.partSize)
        await out.part(await read(start, start + this.partSize));
      await out.finish(await read(start, blob.size));
    } catch (err) {
      await out.abort();
      throw err;
    }
    await rm(path, { force: true });
    return { key: blob.key, size: blob.size, created: true };
  }

  private async copy(from: string, to: string, size: number): Promise<void> {
    const CopySource = `${this.bucket}/${encodeURI(from)}`;
    if (size <= MAX_COPY) {
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource }));
      return;
    }
    const { UploadId } = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: to }),
    );
    const parts: { ETag?: string; PartNumber: number }[] = [];
    try {
      for (let start = 0, PartNumber = 1; start < size; start += COPY_PART, PartNumber++) {
        const end = Math.min(start + COPY_PART, size) - 1;
        const r = await this.client.send(
          new UploadPartCopyCommand({
            Bucket: this.bucket,
            Key: to,
            UploadId,
            PartNumber,
            CopySource,
            CopySourceRange: `bytes=${start}-${end}`,
          }),
        );
        parts.push({ ETag: r.CopyPartResult?.ETag, PartNumber });
      }
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: to,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (err) {
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: to, UploadId }))
        .catch(() => {});
      throw err;
    }
  }

  async get(key: BlobKey, range?: { start: number; end?: number }): Promise<Readable> {
    const Range = range ? `bytes=${range.start}-${range.end ?? ""}` : undefined;
    try {
      const r = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key), Range }),
      );
      return r.Body as Readable;
    } catch (err) {
      if (isMissing(err)) throw new BlobNotFoundError(key);
      throw err;
    }
  }

  async openReader(key: BlobKey): Promise<BlobReader> {
    const size = await this.size(key);
    if (size === null) throw new BlobNotFoundError(key);
    return {
      size,
      read: async (start: number, end: number): Promise<Buffer> => {
        const last = Math.min(end, size) - 1;
        if (last < start) return Buffer.alloc(0);
        const chunks: Buffer[] = [];
        for await (const chunk of await this.get(key, { start, end: last })) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks);
      },
      close: async () => {},
    };
  }

  async size(key: BlobKey): Promise<number | null> {
    if (!isBlobKey(key)) return null;
    try {
      const r = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      return r.ContentLength ?? 0;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async delete(key: BlobKey): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  async removeStaleTemporaries(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    let ContinuationToken: string | undefined;
    do {
      const r = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.prefix}tmp/`, ContinuationToken }),
      );
      for (const o of r.Contents ?? []) {
        if (!o.Key || (o.LastModified?.getTime() ?? 0) >= cutoff) continue;
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: o.Key }));
        removed++;
      }
      ContinuationToken = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return removed;
  }

  async *list(): AsyncIterable<BlobInfo> {
    let ContinuationToken: string | undefined;
    do {
      const r = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.prefix}sha256/`, ContinuationToken }),
      );
      for (const o of r.Contents ?? []) {
        const name = o.Key?.split("/").pop() ?? "";
        if (isBlobKey(name))
          yield { key: name, size: o.Size ?? 0, modifiedAt: o.LastModified ?? new Date(0) };
      }
      ContinuationToken = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }
}

/**
 * Writes one object from parts given in order (one in memory at a time): a single PutObject when
 * `finish` comes before any `part`, else a multipart upload (invisible until complete), which
 * `abort` drops. The one way `put` and `adopt` write.
 */
class ObjectWriter {
  private uploadId: string | undefined;
  private readonly parts: { ETag?: string; PartNumber: number }[] = [];

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
  ) {}

  async part(body: Buffer): Promise<void> {
    const { bucket: Bucket, key: Key } = this;
    this.uploadId ??= (await this.client.send(new CreateMultipartUploadCommand({ Bucket, Key }))).UploadId;
    const PartNumber = this.parts.length + 1;
    const r = await this.client.send(
      new UploadPartCommand({ Bucket, Key, UploadId: this.uploadId, PartNumber, Body: body }),
    );
    this.parts.push({ ETag: r.ETag, PartNumber });
  }

  /** The last bytes (may be empty), and the object is complete. */
  async finish(rest: Buffer): Promise<void> {
    const { bucket: Bucket, key: Key } = this;
    if (!this.uploadId) {
      await this.client.send(new PutObjectCommand({ Bucket, Key, Body: rest }));
      return;
    }
    if (rest.length > 0) await this.part(rest);
    await this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key,
        UploadId: this.uploadId,
        MultipartUpload: { Parts: this.parts },
      }),
    );
  }

  /**
   * Drops an unfinished multipart upload. A single object is never half written; the key may be
   * a blob that someone else has written meanwhile (adopt), so nothing is deleted here.
   */
  async abort(): Promise<void> {
    if (!this.uploadId) return;
    const { bucket: Bucket, key: Key } = this;
    await this.client
      .send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: this.uploadId }))
      .catch(() => {});
  }
}
