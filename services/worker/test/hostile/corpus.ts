// The hostile-input corpus: every archive and compression fault, bombs, path tricks, huge lines,
// non-traces, and hostile text that must be kept as data. Generated here (some inputs are hundreds
// of MB once decoded), so nothing large sits in the repository.
import { execFileSync } from "node:child_process";
import { gzipSync } from "node:zlib";
import type { Header } from "tar-stream";
import { bzip2, gzip, tar, xz } from "../helpers";

export interface HostileCase {
  name: string;
  file: string;
  make: () => Promise<Buffer> | Buffer;
  /** An IngestError code, or "read" for input that must be accepted (hostile text kept as data). */
  expect: string;
  /** Worker settings for this input (on top of the corpus test's own). */
  config?: Record<string, string>;
}

/** Trace text that compresses like a real dump (varied values), not like repeated samples. */
function variedTrace(header: string, bytes: number): Buffer {
  const lines = [header];
  let size = header.length;
  let x = 12345;
  for (let i = 0; size < bytes; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const offset = (x & 0xfffff).toString(16).padStart(6, "0");
    const line = `R 4 100.${String(i % 1000000).padStart(6, "0")} 1 0xf6${offset} 0x${x.toString(16)} 0x0 0`;
    lines.push(line);
    size += line.length + 1;
  }
  return Buffer.from(`${lines.join("\n")}\n`);
}

const sh = (cmd: string) => execFileSync("sh", ["-c", cmd], { maxBuffer: 1 << 28 });
const flip = (b: Buffer, from: number, count: number) => {
  const c = Buffer.from(b);
  for (let i = from; i < from + count && i < c.length; i++) c[i] = c[i]! ^ 0xa5;
  return c;
};
const cut = (b: Buffer, fraction: number) => b.subarray(0, Math.floor(b.length * fraction));

export function hostileCorpus(trace: Buffer): HostileCase[] {
  const header = trace
    .toString()
    .split("\n")
    .filter((l) => l.startsWith("VERSION") || l.startsWith("PCIDEV"))
    .join("\n");
  const big = Buffer.concat(Array.from({ length: 300 }, () => trace));
  const withMember = (entry: Partial<Header> & { name: string; body?: Buffer }) =>
    tar([entry, { name: "trace.mmiotrace", body: trace }]);
  const hostileText = (text: string) =>
    Buffer.from(trace.toString().replace(/^(MARK [0-9.]+ ).*$/m, `$1${text}`));
  return [
    // Compression faults
    { name: "empty file", file: "a.xz", make: () => Buffer.alloc(0), expect: "ARCHIVE_EMPTY" },
    { name: "xz cut in half", file: "a.xz", make: () => cut(xz(big), 0.5), expect: "ARCHIVE_TRUNCATED" },
    {
      name: "xz header only",
      file: "a.xz",
      make: () => xz(big).subarray(0, 12),
      expect: "ARCHIVE_TRUNCATED",
    },
    {
      name: "xz with corrupt data",
      file: "a.xz",
      make: () => flip(xz(big), 200, 40),
      expect: "ARCHIVE_CORRUPT",
    },
    {
      name: "xz with a corrupt index",
      file: "a.xz",
      make: () => flip(xz(big), xz(big).length - 30, 8),
      expect: "ARCHIVE_CORRUPT",
    },
    // xz reads what follows a stream as the next stream: 8 stray bytes are a cut header to it,
    // 64 bytes an unrecognised format.
    {
      name: "xz with 8 bytes of trailing garbage",
      file: "a.xz",
      make: () => Buffer.concat([xz(trace), Buffer.from("garbage!")]),
      expect: "ARCHIVE_TRUNCATED",
    },
    {
      name: "xz with 64 bytes of trailing garbage",
      file: "a.xz",
      make: () => Buffer.concat([xz(trace), Buffer.alloc(64, 0x47)]),
      expect: "ARCHIVE_CORRUPT",
    },
    { name: "gzip cut short", file: "a.gz", make: () => cut(gzip(big), 0.5), expect: "ARCHIVE_TRUNCATED" },
    {
      name: "gzip with a bad checksum",
      file: "a.gz",
      make: () => flip(gzip(trace), gzip(trace).length - 8, 4),
      expect: "ARCHIVE_CORRUPT",
    },
    {
      name: "gzip with corrupt data",
      file: "a.gz",
      make: () => flip(gzip(big), 40, 40),
      expect: "ARCHIVE_CORRUPT",
    },
    {
      name: "gzip with trailing garbage",
      file: "a.gz",
      make: () => Buffer.concat([gzip(trace), Buffer.from("garbage!")]),
      expect: "ARCHIVE_CORRUPT",
    },
    { name: "bzip2 cut short", file: "a.bz2", make: () => cut(bzip2(big), 0.5), expect: "ARCHIVE_TRUNCATED" },
    {
      name: "bzip2 with corrupt data",
      file: "a.bz2",
      make: () => flip(bzip2(big), 60, 40),
      expect: "ARCHIVE_CORRUPT",
    },
    // Bombs and size limits (the test runs with a 1 MiB ratio check and a 64 MiB size limit)
    {
      name: "xz bomb (256 MiB of zeros)",
      file: "bomb.xz",
      make: () => sh("head -c 268435456 /dev/zero | xz -c -1 -T0"),
      expect: "ARCHIVE_BOMB",
    },
    {
      name: "gzip bomb (256 MiB of zeros)",
      file: "bomb.gz",
      make: () => sh("head -c 268435456 /dev/zero | gzip -c -9"),
      expect: "ARCHIVE_BOMB",
    },
    {
      name: "bzip2 bomb (256 MiB of zeros)",
      file: "bomb.bz2",
      make: () => sh("head -c 268435456 /dev/zero | bzip2 -c -1"),
      expect: "ARCHIVE_BOMB",
    },
    {
      name: "tar.xz bomb (zeros inside a member)",
      file: "bomb.tar.xz",
      make: async () => xz(await tar([{ name: "t", body: Buffer.alloc(96 << 20) }]), "-1", "-T0"),
      expect: "ARCHIVE_BOMB",
    },
    {
      name: "trace larger than the size limit (4 MiB here)",
      file: "big.xz",
      make: () => xz(variedTrace(header, 6 << 20), "-0"),
      expect: "ARCHIVE_TOO_LARGE",
      config: { MAX_TRACE_BYTES: String(4 << 20) },
    },
    // Tar tricks
    {
      name: "tar member with '..'",
      file: "t.tar",
      make: () => withMember({ name: "../../etc/cron.d/x", body: trace }),
      expect: "ARCHIVE_UNSAFE_MEMBER",
    },
    {
      name: "tar member with an absolute name",
      file: "t.tar",
      make: () => withMember({ name: "/etc/passwd", body: trace }),
      expect: "ARCHIVE_UNSAFE_MEMBER",
    },
    {
      name: "tar member with a Windows drive name",
      file: "t.tar",
      make: () => withMember({ name: "C:\\evil.txt", body: trace }),
      expect: "ARCHIVE_UNSAFE_MEMBER",
    },
    {
      name: "tar member with '..' in the middle",
      file: "t.tar",
      make: () => withMember({ name: "a/../../b", body: trace }),
      expect: "ARCHIVE_UNSAFE_MEMBER",
    },
    {
      name: "tar symlink",
      file: "t.tar",
      make: () => withMember({ name: "link", type: "symlink", linkname: "/etc/shadow" }),
      expect: "ARCHIVE_UNSUPPORTED_MEMBER",
    },
    {
      name: "tar hard link",
      file: "t.tar",
      make: () => withMember({ name: "hard", type: "link", linkname: "trace.mmiotrace" }),
      expect: "ARCHIVE_UNSUPPORTED_MEMBER",
    },
    {
      name: "tar character device",
      file: "t.tar",
      make: () => withMember({ name: "tty", type: "character-device", devmajor: 5 }),
      expect: "ARCHIVE_UNSUPPORTED_MEMBER",
    },
    {
      name: "tar block device",
      file: "t.tar",
      make: () => withMember({ name: "sda", type: "block-device", devmajor: 8 }),
      expect: "ARCHIVE_UNSUPPORTED_MEMBER",
    },
    {
      name: "tar FIFO",
      file: "t.tar",
      make: () => withMember({ name: "pipe", type: "fifo" }),
      expect: "ARCHIVE_UNSUPPORTED_MEMBER",
    },
    {
      name: "tar with too many members",
      file: "t.tar.gz",
      make: async () =>
        gzipSync(
          await tar(Array.from({ length: 30 }, (_, i) => ({ name: `f${i}.txt`, body: Buffer.from("x") }))),
        ),
      expect: "ARCHIVE_TOO_MANY_MEMBERS",
    },
    {
      name: "tar cut inside a member",
      file: "t.tar",
      make: async () => cut(await tar([{ name: "trace.mmiotrace", body: big }]), 0.5),
      expect: "ARCHIVE_TRUNCATED",
    },
    {
      name: "tar with only directories",
      file: "t.tar",
      make: () =>
        tar([
          { name: "a/", type: "directory" },
          { name: "a/b/", type: "directory" },
        ]),
      expect: "TRACE_NOT_FOUND",
    },
    {
      name: "tar with no trace",
      file: "t.tar.xz",
      make: async () => xz(await tar([{ name: "description.txt", body: Buffer.from("forgot the log") }])),
      expect: "TRACE_NOT_FOUND",
    },
    {
      name: "tar holding a compressed trace (not unpacked twice)",
      file: "t.tar",
      make: async () => tar([{ name: "trace.xz", body: xz(trace) }]),
      expect: "TRACE_NOT_FOUND",
    },
    // Not a trace
    {
      name: "binary garbage named .xz",
      file: "trace.xz",
      make: () => Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)),
      expect: "TRACE_NOT_FOUND",
    },
    {
      name: "an HTML page",
      file: "trace.txt",
      make: () => Buffer.from("<!doctype html><html><body><script>alert(1)</script></body></html>\n"),
      expect: "TRACE_NOT_FOUND",
    },
    {
      name: "a JSON file",
      file: "trace.json",
      make: () => Buffer.from('{"VERSION": 20070824}\n'),
      expect: "TRACE_NOT_FOUND",
    },
    {
      name: "an ELF header",
      file: "trace",
      make: () => Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(200)]),
      expect: "TRACE_NOT_FOUND",
    },
    {
      name: "a PNG header",
      file: "trace.png",
      make: () => Buffer.concat([Buffer.from("\x89PNG\r\n\x1a\n", "latin1"), Buffer.alloc(100)]),
      expect: "TRACE_NOT_FOUND",
    },
    {
      name: "a zip archive",
      file: "trace.zip",
      make: () => Buffer.concat([Buffer.from("PK\x03\x04", "latin1"), Buffer.alloc(100)]),
      expect: "TRACE_NOT_FOUND",
    },
    {
      name: "a UTF-16 encoded trace",
      file: "trace.txt",
      make: () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(trace.toString(), "utf16le")]),
      expect: "TRACE_NOT_FOUND",
    },
    {
      name: "a trace of 0 events",
      file: "t.xz",
      make: () => xz(Buffer.from(`${header}\n`)),
      expect: "TRACE_EMPTY",
    },
    {
      name: "a 10 MB single line",
      file: "t.xz",
      make: () =>
        xz(
          Buffer.concat([
            Buffer.from("VERSION 20070824\nMARK 1.000000 "),
            Buffer.alloc(10 << 20, 0x41),
            Buffer.from("\n"),
          ]),
          "-0",
        ),
      expect: "TRACE_LINE_TOO_LONG",
    },
    {
      name: "a huge line after valid ones",
      file: "t.gz",
      make: () => gzip(Buffer.concat([trace, Buffer.alloc(2 << 20, 0x42), Buffer.from("\n")])),
      expect: "TRACE_LINE_TOO_LONG",
    },
    // Hostile text: accepted, kept as data (escaping is the pages' job, tested there)
    {
      name: "invalid UTF-8 in a marker",
      file: "t.xz",
      make: () => xz(hostileText("\xff\xfe bad \xc3\x28 utf8")),
      expect: "read",
    },
    {
      name: "<script> in a marker",
      file: "t.xz",
      make: () => xz(hostileText("<script>alert('x')</script>")),
      expect: "read",
    },
    {
      name: "control characters in a marker",
      file: "t.xz",
      make: () => xz(hostileText("bell\x07 esc\x1b[31m red\x00nul")),
      expect: "read",
    },
    {
      name: "hostile description.txt beside the trace",
      file: "t.tar.xz",
      make: async () =>
        xz(
          await tar([
            { name: "description.txt", body: Buffer.from("<img src=x onerror=alert(1)>\xff\x1b[2J") },
            { name: "trace.mmiotrace", body: trace },
          ]),
        ),
      expect: "read",
    },
    {
      name: "metadata.json that lies about the card",
      file: "t.tar.xz",
      make: async () =>
        xz(
          await tar([
            {
              name: "metadata.json",
              body: Buffer.from(JSON.stringify({ gpus: [{ pciId: "10de:2684" }], kernel: "<b>6.1</b>" })),
            },
            { name: "trace.mmiotrace", body: trace },
          ]),
        ),
      expect: "read",
    },
    {
      name: "metadata.json that is not JSON",
      file: "t.tar.xz",
      make: async () =>
        xz(
          await tar([
            { name: "metadata.json", body: Buffer.from("{not json") },
            { name: "trace.mmiotrace", body: trace },
          ]),
        ),
      expect: "read",
    },
    {
      name: "CRLF line endings (mail client)",
      file: "t.txt",
      make: () => Buffer.from(trace.toString().replace(/\n/g, "\r\n")),
      expect: "read",
    },
  ];
}
