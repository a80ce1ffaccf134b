import { createHash, randomBytes } from "node:crypto";
import { createReadStream, readSync } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
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
import { GatheredWrites } from "./gathered-writes";

/**
 * Blobs in a local directory: `<root>/sha256/ab/<key>`. A write goes to `<root>/tmp/` while it is
 * hashed, is fsynced, then renamed into place, so a crash never leaves a partial blob under a key.
 */
export class LocalBlobStore implements BlobStore {
  constructor(readonly root: string) {}

  private pathOf(key: BlobKey): string {
    if (!isBlobKey(key)) throw new BlobNotFoundError(key);
    return join(this.root, "sha256", key.slice(0, 2), key);
  }

  async put(source: AsyncIterable<Uint8Array> | Readable, options: PutOptions = {}): Promise<PutResult> {
    const tmpDir = join(this.root, "tmp");
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, `${Date.now()}-${randomBytes(8).toString("hex")}`);
    const hash = createHash("sha256");
    const file = await open(tmp, "wx");
    const writes = new GatheredWrites(file);
    let size = 0;
    try {
      for await (const chunk of source) {
        size += chunk.byteLength;
        if (options.maxBytes !== undefined && size > options.maxBytes)
          throw new BlobTooLargeError(options.maxBytes);
        hash.update(chunk);
        await writes.add(chunk);
      }
      await writes.flush();
      await file.sync();
    } catch (err) {
      await file.close().catch(() => {});
      await rm(tmp, { force: true });
      throw err;
    }
    await file.close();
    const key = hash.digest("hex");
    const target = this.pathOf(key);
    const existing = await stat(target).catch(() => null);
    if (existing) {
      await rm(tmp, { force: true });
      return { key, size, created: false };
    }
    await mkdir(join(this.root, "sha256", key.slice(0, 2)), { recursive: true });
    await rename(tmp, target);
    return { key, size, created: true };
  }

  async adopt(path: string, blob: { key: BlobKey; size: number }): Promise<PutResult> {
    const target = this.pathOf(blob.key);
    const s = await stat(path);
    if (!s.isFile() || s.size !== blob.size)
      throw new Error(`adopt: ${path} is not a file of ${blob.size} bytes (found ${s.size})`);
    if (await stat(target).catch(() => null)) {
      await rm(path, { force: true });
      return { key: blob.key, size: blob.size, created: false };
    }
    const dir = join(this.root, "sha256", blob.key.slice(0, 2));
    await mkdir(dir, { recursive: true });
    // The file is synced (little to flush when the caller already synced its writes, as resumable
    // uploads do), then the rename is made durable by syncing the directory below.
    const file = await open(path, "r");
    await file.sync().finally(() => file.close());
    try {
      await rename(path, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
      // Another file system: copy through put (which hashes again) and check the key still holds.
      const put = await this.put(createReadStream(path));
      if (put.key !== blob.key) {
        if (put.created) await this.delete(put.key);
        throw new Error(`adopt: ${path} hashes to ${put.key}, not ${blob.key}`);
      }
      await rm(path, { force: true });
      return put;
    }
    const handle = await open(dir, "r");
    await handle.sync().finally(() => handle.close());
    return { key: blob.key, size: blob.size, created: true };
  }

  async get(key: BlobKey, range?: { start: number; end?: number }): Promise<Readable> {
    const path = this.pathOf(key);
    const handle = await open(path, "r").catch((err: NodeJS.ErrnoException) => {
      throw err.code === "ENOENT" ? new BlobNotFoundError(key) : err;
    });
    return handle.createReadStream({ start: range?.start, end: range?.end, autoClose: true });
  }

  async openReader(key: BlobKey): Promise<BlobReader> {
    const handle = await open(this.pathOf(key), "r").catch((err: NodeJS.ErrnoException) => {
      throw err.code === "ENOENT" ? new BlobNotFoundError(key) : err;
    });
    const size = (await handle.stat()).size;
    return {
      size,
      // Positional reads on one open file: no stream, no open/close per range. Synchronous: the
      // readers are the API's event stores, whose blocks (~70 KB) come from the page cache in
      // microseconds, less than a trip through libuv's thread pool costs (bench/src/api.bench.ts:
      // 2.70 -> 2.54 ms of API CPU per events page).
      async read(start: number, end: number, into?: Uint8Array): Promise<Buffer> {
        const length = Math.max(0, Math.min(end, size) - start);
        const out =
          into && into.length >= length
            ? Buffer.from(into.buffer, into.byteOffset, length)
            : Buffer.allocUnsafe(length);
        let done = 0;
        while (done < length) {
          const bytesRead = readSync(handle.fd, out, done, length - done, start + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return done === length ? out : out.subarray(0, done);
      },
      close: () => handle.close(),
    };
  }

  async size(key: BlobKey): Promise<number | null> {
    if (!isBlobKey(key)) return null;
    const s = await stat(this.pathOf(key)).catch(() => null);
    return s ? s.size : null;
  }

  async delete(key: BlobKey): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async removeStaleTemporaries(olderThanMs: number): Promise<number> {
    const dir = join(this.root, "tmp");
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const s = await stat(join(dir, name)).catch(() => null);
      if (s?.isFile() && s.mtimeMs < cutoff) {
        await rm(join(dir, name), { force: true });
        removed++;
      }
    }
    return removed;
  }

  async *list(): AsyncIterable<BlobInfo> {
    const base = join(this.root, "sha256");
    const dirs = await readdir(base).catch(() => [] as string[]);
    for (const dir of dirs.sort()) {
      for (const name of (await readdir(join(base, dir))).sort()) {
        if (!isBlobKey(name)) continue;
        const s = await stat(join(base, dir, name)).catch(() => null);
        if (s) yield { key: name, size: s.size, modifiedAt: s.mtime };
      }
    }
  }
}
