import { Transform, type TransformCallback } from "node:stream";
import { IngestError } from "./errors";

export interface InflateLimits {
  maxBytes: number;
  maxRatio: number;
  checkRatioAfter: number;
}

/**
 * Counts decompressed bytes and stops a decompression bomb early: past `maxBytes`, or past
 * `maxRatio` times the compressed size once `checkRatioAfter` bytes came out. Because it sits in a
 * pipeline with backpressure, the decoder upstream never runs far ahead of it.
 */
export class InflateGuard extends Transform {
  bytes = 0;
  constructor(
    private readonly compressedSize: number,
    private readonly limits: InflateLimits,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    const { maxBytes, maxRatio, checkRatioAfter } = this.limits;
    if (this.bytes > maxBytes) {
      done(new IngestError("ARCHIVE_TOO_LARGE", `decompressed data exceeds the limit of ${maxBytes} bytes`));
      return;
    }
    if (this.bytes > checkRatioAfter && this.bytes > this.compressedSize * maxRatio) {
      done(
        new IngestError(
          "ARCHIVE_BOMB",
          `decompression stopped at ${this.bytes} bytes: more than ${maxRatio} times the ${this.compressedSize}-byte archive (a decompression bomb?)`,
        ),
      );
      return;
    }
    done(null, chunk);
  }
}
