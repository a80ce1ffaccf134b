import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { GatheredWrites } from "@mmiohub/storage";
import { isUploadId } from "../schemas/upload";

/**
 * The partial bytes of resumable uploads: `<storage root>/uploads/<id>.part`. Ids are checked
 * before they become a path, so nothing is ever read or written outside the storage root. Any API
 * instance sharing the storage root can take the next chunk.
 */
export class UploadFiles {
  readonly dir: string;
  constructor(storageRoot: string) {
    this.dir = join(storageRoot, "uploads");
  }

  pathOf(id: string): string {
    if (!isUploadId(id)) throw new Error(`not an upload id: ${JSON.stringify(id)}`);
    return join(this.dir, `${id}.part`);
  }

  async create(id: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await (await open(this.pathOf(id), "w")).close();
  }

  /**
   * Writes `source` at `offset`, at most `max` bytes, and makes it durable. Returns how many bytes
   * landed, also when the source failed midway (a cut connection keeps what arrived): then `error`
   * says why it stopped. `tooMuch` is set when the source had more than `max` bytes.
   */
  async write(
    id: string,
    offset: number,
    max: number,
    source: AsyncIterable<Uint8Array>,
  ): Promise<{ written: number; error?: unknown; tooMuch?: boolean }> {
    await mkdir(this.dir, { recursive: true });
    const file = await open(this.pathOf(id), "r+").catch(async (err: NodeJS.ErrnoException) => {
      // The row exists but the file does not (a crash between the two): start it empty.
      if (err.code === "ENOENT" && offset === 0) return open(this.pathOf(id), "w");
      throw err;
    });
    // Gathered into larger writes (GatheredWrites), not one awaited write per piece of the body.
    const writes = new GatheredWrites(file, offset);
    let error: unknown;
    let tooMuch = false;
    try {
      for await (const chunk of source) {
        const take = Math.min(chunk.byteLength, max - writes.taken);
        await writes.add(take < chunk.byteLength ? chunk.subarray(0, take) : chunk);
        if (take < chunk.byteLength) {
          tooMuch = true;
          break;
        }
      }
    } catch (err) {
      error = err;
    }
    // What arrived is kept, also when the source failed midway.
    try {
      await writes.flush();
    } catch (err) {
      error ??= err;
    }
    const written = writes.written;
    try {
      await file.datasync();
    } finally {
      await file.close();
    }
    return { written, ...(error !== undefined ? { error } : {}), ...(tooMuch ? { tooMuch } : {}) };
  }

  /** sha256 (hex) and size of the first `length` bytes of the part file, read where it lies. */
  async sha256(id: string, length: number): Promise<{ sha256: string; size: number }> {
    const hash = createHash("sha256");
    let size = 0;
    for await (const chunk of this.read(id, length)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    return { sha256: hash.digest("hex"), size };
  }

  read(id: string, length: number): Readable {
    return createReadStream(this.pathOf(id), {
      start: 0,
      end: Math.max(length - 1, 0),
      highWaterMark: 1 << 20,
    });
  }

  async delete(id: string): Promise<void> {
    if (isUploadId(id)) await rm(this.pathOf(id), { force: true });
  }

  /** Partial files whose upload row is gone, untouched for `olderThanMs` (crash leftovers). */
  async *orphans(known: (id: string) => Promise<boolean>, olderThanMs: number): AsyncIterable<string> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      const id = name.replace(/\.part$/, "");
      if (!name.endsWith(".part") || !isUploadId(id)) continue;
      const s = await stat(join(this.dir, name)).catch(() => null);
      if (s && Date.now() - s.mtimeMs > olderThanMs && !(await known(id))) yield id;
    }
  }
}
