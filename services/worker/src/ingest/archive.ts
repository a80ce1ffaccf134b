import type { Readable } from "node:stream";
import { PassThrough } from "node:stream";
import { extract, type Header } from "tar-stream";
import { type Compression, decompress, detectCompression } from "./decompress";
import { IngestError } from "./errors";
import { InflateGuard, type InflateLimits } from "./limits";

export interface ArchiveLimits extends InflateLimits {
  maxMembers: number;
}

export interface Member {
  /** A label for the member (its name inside the archive), never a path on disk. */
  name: string;
  /** The member's bytes; must be consumed (or drained) before the next member is produced. */
  stream: AsyncIterable<Buffer>;
}

export interface OpenedArchive {
  compression: Compression;
  isTar: boolean;
  members: AsyncIterable<Member>;
  /** Decompressed bytes so far. */
  inflatedBytes(): number;
  /** Settles once the decoder finished; rejects with the archive's fault. */
  done: Promise<void>;
  /** Stops reading and decoding (after a fault found downstream). */
  abort(): void;
}

/** Reads the first `n` bytes of a stream without losing them: returns them and a stream of all. */
export async function peek(
  stream: AsyncIterable<Buffer>,
  n: number,
): Promise<{ head: Buffer; stream: Readable }> {
  const chunks: Buffer[] = [];
  let have = 0;
  const iterator = stream[Symbol.asyncIterator]();
  while (have < n) {
    const next = await iterator.next();
    if (next.done) break;
    const buf = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    chunks.push(buf);
    have += buf.length;
  }
  const head = Buffer.concat(chunks);
  const rest = new PassThrough({ highWaterMark: 1 << 16 });
  (async () => {
    try {
      if (head.length && !rest.write(head)) await new Promise((r) => rest.once("drain", r));
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        if (!rest.write(next.value)) await new Promise((r) => rest.once("drain", r));
        if (rest.destroyed) break;
      }
      rest.end();
    } catch (err) {
      rest.destroy(err as Error);
    }
  })();
  rest.on("close", () => {
    if (!rest.readableEnded) void iterator.return?.();
  });
  return { head: head.subarray(0, n), stream: rest };
}

function isTarHeader(block: Buffer): boolean {
  return block.length >= 512 && block.subarray(257, 262).toString("latin1") === "ustar";
}

const TYPE_NAMES: Partial<Record<Header["type"], string>> = {
  symlink: "a symbolic link",
  link: "a hard link",
  "character-device": "a character device",
  "block-device": "a block device",
  fifo: "a FIFO",
};

/** Refuses member names that would escape a directory if someone ever extracted the archive. */
function checkName(name: string): void {
  if (name.startsWith("/") || /^[a-zA-Z]:[\\/]/.test(name)) {
    throw new IngestError("ARCHIVE_UNSAFE_MEMBER", `archive member '${name}' has an absolute path`);
  }
  if (name.split(/[\\/]/).includes("..")) {
    throw new IngestError("ARCHIVE_UNSAFE_MEMBER", `archive member '${name}' has a '..' path component`);
  }
  if (name.includes("\0"))
    throw new IngestError("ARCHIVE_UNSAFE_MEMBER", "archive member name contains a NUL byte");
}

/**
 * Opens an archive from its raw bytes: detects the compression by magic bytes (not by file name),
 * decompresses under the inflate limits, and yields its members: the tar's regular files, or the
 * whole decompressed stream as one member when it is not a tar.
 */
export async function openArchive(
  raw: Readable,
  compressedSize: number,
  name: string,
  limits: ArchiveLimits,
): Promise<OpenedArchive> {
  const first = await peek(raw, 6);
  if (first.head.length === 0) throw new IngestError("ARCHIVE_EMPTY", "the archive is empty");
  const compression = detectCompression(first.head);
  const decoded = decompress(first.stream, compression);
  const guard = new InflateGuard(compressedSize, limits);
  decoded.stream.on("error", (err) => guard.destroy(err));
  const inflated = decoded.stream.pipe(guard);
  const second = await peek(inflated, 512);
  const isTar = isTarHeader(second.head);
  const bareName = name.replace(/\.(xz|gz|bz2|zst|txz|tgz)$/i, "").replace(/\.tar$/i, "") || "trace";

  async function* members(): AsyncIterable<Member> {
    if (!isTar) {
      yield { name: bareName, stream: second.stream };
      return;
    }
    const tar = extract();
    second.stream.on("error", (err) => tar.destroy(err));
    second.stream.pipe(tar);
    let count = 0;
    for await (const entry of tar) {
      const header = entry.header;
      count++;
      if (count > limits.maxMembers) {
        throw new IngestError(
          "ARCHIVE_TOO_MANY_MEMBERS",
          `the archive has more than ${limits.maxMembers} members`,
        );
      }
      checkName(header.name);
      if (header.type === "directory") {
        for await (const _ of entry);
        continue;
      }
      if (header.type !== "file" && header.type !== "contiguous-file") {
        const what = TYPE_NAMES[header.type] ?? `of type '${header.type}'`;
        throw new IngestError(
          "ARCHIVE_UNSUPPORTED_MEMBER",
          `archive member '${header.name}' is ${what}; only regular files are accepted`,
        );
      }
      yield { name: header.name.replace(/^\.\//, ""), stream: entry as AsyncIterable<Buffer> };
    }
  }

  return {
    compression,
    isTar,
    members: members(),
    inflatedBytes: () => guard.bytes,
    done: decoded.done,
    abort: () => {
      second.stream.destroy();
      guard.destroy();
      decoded.stream.destroy();
      raw.destroy();
    },
  };
}
