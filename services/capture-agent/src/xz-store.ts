import { crc32 } from "node:zlib";

/**
 * A valid .xz stream that stores its data without compressing it (LZMA2 "uncompressed" chunks).
 * Used when no `xz` program is on the machine (a busybox initramfs has only decompressors): every xz
 * decoder reads it, it is just as big as its input. One block, so memory stays constant.
 */
const MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const FLAGS = Buffer.from([0x00, 0x01]); // check type CRC32
const CHUNK_MAX = 65536;

function le32(value: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeUInt32LE(value >>> 0);
  return buf;
}

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}

function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

export function createStoreXzEncoder(): { push(data: Buffer): Buffer[]; finish(): Buffer[] } {
  let started = false;
  let uncompressed = 0;
  let compressed = 0;
  let check = 0;
  // Block header: size byte, block flags (one filter, no sizes), LZMA2 filter id, 1 property byte,
  // dictionary size 4 KiB (nothing is looked up), padding to a multiple of 4, CRC32.
  const blockHeaderBody = Buffer.from([0x02, 0x00, 0x21, 0x01, 0x00, 0x00, 0x00, 0x00]);
  const blockHeader = Buffer.concat([blockHeaderBody, le32(crc32(blockHeaderBody))]);

  function header(): Buffer[] {
    started = true;
    return [MAGIC, FLAGS, le32(crc32(FLAGS)), blockHeader];
  }

  return {
    push(data: Buffer): Buffer[] {
      const out = started ? [] : header();
      for (let offset = 0; offset < data.length; offset += CHUNK_MAX) {
        const piece = data.subarray(offset, Math.min(offset + CHUNK_MAX, data.length));
        // 0x01: uncompressed chunk with dictionary reset (first), 0x02: uncompressed, no reset.
        const control = Buffer.from([
          uncompressed === 0 ? 0x01 : 0x02,
          (piece.length - 1) >> 8,
          (piece.length - 1) & 0xff,
        ]);
        out.push(control, piece);
        compressed += 3 + piece.length;
        uncompressed += piece.length;
        check = crc32(piece, check);
      }
      return out;
    },
    finish(): Buffer[] {
      const out = started ? [] : header();
      out.push(Buffer.from([0x00]));
      compressed += 1;
      const unpadded = blockHeader.length + compressed + 4;
      out.push(pad4(blockHeader.length + compressed), le32(check));
      const indexBody = Buffer.from([0x00, ...varint(1), ...varint(unpadded), ...varint(uncompressed)]);
      const index = Buffer.concat([indexBody, pad4(indexBody.length)]);
      const indexWithCrc = Buffer.concat([index, le32(crc32(index))]);
      out.push(indexWithCrc);
      const backward = Buffer.concat([le32(indexWithCrc.length / 4 - 1), FLAGS]);
      out.push(le32(crc32(backward)), backward, Buffer.from("YZ"));
      return out;
    },
  };
}
