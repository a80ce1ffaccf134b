import { execFileSync } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { createPrisma } from "@mmiohub/db";
import { LocalBlobStore } from "@mmiohub/storage";
import { pino } from "pino";
import { type Header, pack } from "tar-stream";
import { beforeAll, describe, expect, it } from "vitest";
import { loadWorkerEnv } from "../src/env";
import { IngestError } from "../src/ingest/errors";
import { readSubmission } from "../src/ingest/pipeline";

const SHARED = process.env.MMIOHUB_SHARED ?? new URL("../../../../shared", import.meta.url).pathname;
let storage: LocalBlobStore;
let edu: Buffer;
const config = loadWorkerEnv({
  ...process.env,
  MAX_LINE_BYTES: String(1024 * 1024),
  EXPANSION_CHECK_AFTER_BYTES: String(8 * 1024 * 1024),
});
const deps = () => ({
  prisma: createPrisma(config.DATABASE_URL),
  storage,
  config,
  log: pino({ level: "silent" }),
});

beforeAll(async () => {
  storage = new LocalBlobStore(await mkdtemp(join(tmpdir(), "mmiohub-worker-")));
  edu = await readFile(join(SHARED, "samples/edu-qemu.mmiotrace"));
});

const xz = (buf: Buffer, ...args: string[]) =>
  execFileSync("xz", ["-c", ...args], { input: buf, maxBuffer: 1 << 30 });

async function tar(entries: (Partial<Header> & { name: string; body?: Buffer })[]): Promise<Buffer> {
  const p = pack();
  for (const { body, ...header } of entries) p.entry(header, body ?? Buffer.alloc(0));
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function read(bytes: Buffer, name = "upload.xz", overrides: Partial<typeof config> = {}) {
  const blob = await storage.put(Readable.from([bytes]));
  return readSubmission({ ...deps(), config: { ...config, ...overrides } }, blob.key, blob.size, name);
}

async function failure(bytes: Buffer, name?: string): Promise<IngestError> {
  const err = await read(bytes, name).then(
    () => new Error("expected the archive to be rejected"),
    (e: unknown) => e,
  );
  if (!(err instanceof IngestError)) throw err;
  return err;
}

describe("archive forms", () => {
  it.each([
    ["plain text", () => edu, "edu.mmiotrace", "edu.mmiotrace"],
    ["xz", () => xz(edu), "edu.mmiotrace.xz", "edu.mmiotrace"],
    ["gzip", () => gzipSync(edu), "edu.mmiotrace.gz", "edu.mmiotrace"],
    ["bzip2", () => execFileSync("bzip2", ["-c"], { input: edu }), "edu.mmiotrace.bz2", "edu.mmiotrace"],
    ["multi-block xz -T0", () => xz(edu, "-T0", "--block-size=256"), "edu.xz", "edu"],
  ])("reads %s", async (_what, make, name, member) => {
    const r = await read(make(), name);
    expect(r.traces).toHaveLength(1);
    expect(r.traces[0]!.member).toBe(member);
    expect(r.traces[0]!.recordCounts).toMatchObject({ R: 4, W: 3, MAP: 1, UNMAP: 1, MARK: 3, PCIDEV: 5 });
    expect(r.traces[0]!.textBytes).toBe(edu.length);
  });

  it("finds the trace in a .tar.xz by content, with description.txt beside it", async () => {
    const archive = xz(
      await tar([
        { name: "notes/", type: "directory" },
        { name: "description.txt", body: Buffer.from("GK107, nvidia 550, 3D for 5 s") },
        { name: "whatever-name.log", body: edu },
        { name: "dmesg.txt", body: Buffer.from("[0.0] Linux version ...") },
      ]),
    );
    const r = await read(archive, "dump.tar.xz");
    expect(r.traces.map((t) => t.member)).toEqual(["whatever-name.log"]);
    expect(r.side.description).toBe("GK107, nvidia 550, 3D for 5 s");
    expect(r.compression).toBe("xz");
  });
});

describe("other members", () => {
  it("lists a member larger than MAX_ATTACHMENT_BYTES without keeping it, and reads on", async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 0x61);
    const r = await read(
      xz(
        await tar([
          { name: "core.dump", body: big },
          { name: "t.mmiotrace", body: edu },
        ]),
        "-0",
      ),
      "big.tar.xz",
      { MAX_ATTACHMENT_BYTES: 1024 * 1024 },
    );
    expect(r.traces.map((t) => t.member)).toEqual(["t.mmiotrace"]);
    expect(r.attachments).toEqual([{ name: "core.dump", size: big.length, key: null }]);
  });
});

describe("hostile and malformed archives end in a specific reason", () => {
  it("truncated xz", async () => {
    const full = xz(Buffer.concat(Array.from({ length: 200 }, () => edu)));
    expect((await failure(full.subarray(0, Math.floor(full.length / 2)))).code).toBe("ARCHIVE_TRUNCATED");
  });

  it("corrupt xz", async () => {
    const bad = Buffer.from(xz(Buffer.concat(Array.from({ length: 200 }, () => edu))));
    for (let i = 100; i < 140; i++) bad[i] = bad[i]! ^ 0x5a;
    expect((await failure(bad)).code).toBe("ARCHIVE_CORRUPT");
  });

  it("binary garbage named .xz", async () => {
    const garbage = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 251));
    const err = await failure(garbage, "trace.xz");
    expect(err.code).toBe("TRACE_NOT_FOUND");
  });

  it("an xz bomb stops early at the expansion ratio", async () => {
    const bomb = execFileSync("sh", ["-c", "head -c 67108864 /dev/zero | xz -c -1"], { maxBuffer: 1 << 26 });
    const err = await failure(bomb, "bomb.xz");
    expect(err.code).toBe("ARCHIVE_BOMB");
    expect(err.message).toMatch(/more than 200 times/);
  });

  it.each([
    [
      "a '..' name",
      { name: "../../etc/cron.d/x", body: edu },
      "ARCHIVE_UNSAFE_MEMBER",
      /'\.\.' path component/,
    ],
    ["an absolute name", { name: "/etc/passwd", body: edu }, "ARCHIVE_UNSAFE_MEMBER", /absolute path/],
    [
      "a symlink",
      { name: "trace", type: "symlink" as const, linkname: "/etc/shadow" },
      "ARCHIVE_UNSUPPORTED_MEMBER",
      /symbolic link/,
    ],
    [
      "a device",
      { name: "sda", type: "block-device" as const, devmajor: 8 },
      "ARCHIVE_UNSUPPORTED_MEMBER",
      /block device/,
    ],
  ])("tar with %s", async (_what, entry, code, message) => {
    const err = await failure(xz(await tar([entry])), "evil.tar.xz");
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });

  it("an archive with no trace", async () => {
    const err = await failure(
      xz(await tar([{ name: "description.txt", body: Buffer.from("forgot the log") }])),
      "x.tar.xz",
    );
    expect(err.code).toBe("TRACE_NOT_FOUND");
    expect(err.message).toMatch(/no member of the archive/);
  });

  it("a trace of 0 events", async () => {
    const header = edu
      .toString()
      .split("\n")
      .filter((l) => l.startsWith("VERSION") || l.startsWith("PCIDEV"))
      .join("\n");
    const err = await failure(xz(Buffer.from(`${header}\n`)));
    expect(err.code).toBe("TRACE_EMPTY");
  });

  it("a 10 MB single line", async () => {
    const line = Buffer.concat([
      Buffer.from("VERSION 20070824\nMARK 1.000000 "),
      Buffer.alloc(10 * 1024 * 1024, 0x41),
      Buffer.from("\n"),
    ]);
    const err = await failure(xz(line, "-0"));
    expect(err.code).toBe("TRACE_LINE_TOO_LONG");
  });

  it("an empty file", async () => {
    expect((await failure(Buffer.alloc(0))).code).toBe("ARCHIVE_EMPTY");
  });
});
