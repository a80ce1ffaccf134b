import { spawn } from "node:child_process";
import { PassThrough, type Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import type { BlobStore } from "@mmiohub/storage";

/**
 * A 409 with a stable code, through the error handler's pass-through for statuses below 500 (the
 * code is ours alone, so errors.ts stays untouched).
 */
export function eventsUnavailable(message: string): Error {
  return Object.assign(new Error(message), { statusCode: 409, code: "EVENTS_UNAVAILABLE" });
}

/** Where a trace's text can be read from. */
export interface TraceTextRef {
  archiveSha256: string;
  archiveName: string;
}

async function head(storage: BlobStore, key: string): Promise<Buffer> {
  const s = await storage.get(key, { start: 0, end: 5 });
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function viaProgram(source: Readable, argv: string[]): Readable {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "pipe", "ignore"] });
  const out = new PassThrough();
  source.pipe(child.stdin).on("error", () => {});
  child.stdout.pipe(out);
  // The reader stops early when a range is served: end the child with it.
  out.on("close", () => {
    source.destroy();
    child.kill();
  });
  child.on("error", (err) => out.destroy(err));
  return out;
}

/**
 * The trace's kernel-format text, streamed from the stored archive (a plain, gzip or xz log).
 * Interim source until the worker writes the binary event store: reading events N..M this way
 * parses the text from its start, so deep pages cost more than the first.
 */
export async function openTraceText(storage: BlobStore, ref: TraceTextRef): Promise<Readable> {
  const magic = await head(storage, ref.archiveSha256);
  const source = await storage.get(ref.archiveSha256);
  if (magic[0] === 0x1f && magic[1] === 0x8b) return source.pipe(createGunzip());
  if (magic.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])))
    return viaProgram(source, ["xz", "-dc", "--memlimit-decompress=1GiB"]);
  if (magic.subarray(0, 3).toString("latin1") === "BZh") return viaProgram(source, ["bzip2", "-dc"]);
  // A tar archive has "ustar" at offset 257; the interim reader does not unpack tars.
  const probe = await storage.get(ref.archiveSha256, { start: 257, end: 261 });
  let ustar = "";
  for await (const c of probe) ustar += (c as Buffer).toString("latin1");
  if (ustar === "ustar") {
    source.destroy();
    throw eventsUnavailable("events of traces inside tar archives are served once the event store is built");
  }
  return source;
}
