import { spawn } from "node:child_process";
import { PassThrough, type Readable, Transform, type TransformCallback } from "node:stream";
import { createGunzip } from "node:zlib";
import { IngestError } from "./errors";

export type Compression = "xz" | "gzip" | "bzip2" | "zstd" | "none";

export function detectCompression(head: Uint8Array): Compression {
  const b = (i: number) => head[i] ?? -1;
  if (b(0) === 0xfd && b(1) === 0x37 && b(2) === 0x7a && b(3) === 0x58 && b(4) === 0x5a && b(5) === 0x00)
    return "xz";
  if (b(0) === 0x1f && b(1) === 0x8b) return "gzip";
  if (b(0) === 0x42 && b(1) === 0x5a && b(2) === 0x68) return "bzip2";
  if (b(0) === 0x28 && b(1) === 0xb5 && b(2) === 0x2f && b(3) === 0xfd) return "zstd";
  return "none";
}

export interface Decompressed {
  stream: Readable;
  /** Settles when the decoder has finished: rejects with an IngestError if the input was bad. */
  done: Promise<void>;
}

// Which decoder, and why: xz is decoded by the `xz` program in a child process, not in-process.
// Measured here (shared/notes/dependencies.md): `xz -dc` decodes at 63 MB/s (120 MB/s with -T0 on
// multi-block files) against 25-53 MB/s for lzma-native, and lzma-native ignores backpressure (a
// 2 GiB bomb drove it to 898 MB RSS before a guard could stop it). Through a pipe, the child stops
// when we stop reading, so memory stays bounded, and its own memory limit caps hostile headers.
const DECODED_BUFFER_BYTES = 1 << 20;
const COALESCE_BYTES = 256 << 10;

/** Passes bytes through in chunks of at least `size` bytes (the last one may be shorter). */
class Coalesce extends Transform {
  private parts: Buffer[] = [];
  private held = 0;
  constructor(
    private readonly size: number,
    highWaterMark: number,
  ) {
    super({ readableHighWaterMark: highWaterMark, writableHighWaterMark: size });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.parts.push(chunk);
    this.held += chunk.length;
    if (this.held >= this.size) this.release();
    done();
  }
  override _flush(done: TransformCallback): void {
    this.release();
    done();
  }
  private release(): void {
    if (this.held === 0) return;
    const out = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.held);
    this.parts = [];
    this.held = 0;
    this.push(out);
  }
}

const PROGRAMS: Record<"xz" | "bzip2" | "zstd", string[]> = {
  xz: ["xz", "-dc", "-T0", "--memlimit-decompress=1GiB"],
  bzip2: ["bzip2", "-dc"],
  zstd: ["zstd", "-dc", "--memory=1024MB"],
};

function classify(kind: Compression, text: string): IngestError {
  const t = text.toLowerCase();
  if (/unexpected end of (input|file)|ends unexpectedly|truncated|premature end/.test(t)) {
    return new IngestError(
      "ARCHIVE_TRUNCATED",
      `the ${kind} stream ends too early: the archive is truncated`,
    );
  }
  if (/memory usage limit|memory limit/.test(t)) {
    return new IngestError(
      "ARCHIVE_UNSUPPORTED_FORMAT",
      `the ${kind} stream needs more memory to decode than allowed (1 GiB)`,
    );
  }
  return new IngestError(
    "ARCHIVE_CORRUPT",
    `the ${kind} data is corrupt (${text.trim().split("\n")[0]?.slice(0, 200) ?? "decoder error"})`,
  );
}

export function decompress(source: Readable, kind: Compression): Decompressed {
  if (kind === "none") return { stream: source, done: Promise.resolve() };
  if (kind === "gzip") {
    const gunzip = createGunzip();
    let failure: IngestError | undefined;
    const done = new Promise<void>((resolve, reject) => {
      gunzip.on("error", (err) => {
        failure ??= classify("gzip", err.message);
        reject(failure);
      });
      gunzip.on("end", resolve);
      gunzip.on("close", () => (failure ? reject(failure) : resolve()));
    });
    done.catch(() => {});
    source.on("error", (err) => gunzip.destroy(err));
    // zlib's own errors (bad header, trailing garbage after the last member, bad checksum) reach
    // readers as the IngestError they mean, even after "end" settled `done`.
    const out = new PassThrough({ highWaterMark: 1 << 16 });
    gunzip.on("error", (err) => out.destroy(failure ?? classify("gzip", err.message)));
    source.pipe(gunzip).pipe(out);
    return { stream: out, done };
  }
  const [cmd, ...args] = PROGRAMS[kind];
  const child = spawn(cmd!, args, { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString();
  });
  // The decoder may stop reading early (bad data); that is not our error to report.
  child.stdin.on("error", () => {});
  let stopped = false;
  const stop = () => {
    stopped = true;
    child.kill("SIGKILL");
  };
  source.on("error", stop);
  source.pipe(child.stdin);
  const done = new Promise<void>((resolve, reject) => {
    child.on("error", (err) =>
      reject(
        new IngestError("ARCHIVE_UNSUPPORTED_FORMAT", `cannot run ${cmd} to decode ${kind}: ${err.message}`),
      ),
    );
    child.on("close", (code, signal) => {
      if (code === 0 || stopped)
        resolve(); // stopped: our reader gave up first and reports why
      else reject(classify(kind, signal ? `killed by ${signal}` : stderr));
    });
  });
  done.catch(() => {});
  // Decoded text buffered on our side (each turn of the event loop empties the pipe, so the
  // decoder runs ahead while we are busy instead of waiting on a full pipe), and regrouped into
  // 256 KiB chunks: the pipe delivers ~10 KB at a time, and every chunk costs its way through
  // the stages after this one.
  const stream = new Coalesce(COALESCE_BYTES, DECODED_BUFFER_BYTES);
  child.stdout.on("error", (err) => stream.destroy(err));
  child.stdout.pipe(stream);
  // The reader gave up before the end (a limit tripped): stop the decoder too.
  stream.on("close", () => {
    if (!stream.readableEnded && child.exitCode === null) stop();
  });
  return { stream, done };
}
