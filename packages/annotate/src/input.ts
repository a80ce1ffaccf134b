import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { PassThrough, type Readable } from "node:stream";
import { createGunzip } from "node:zlib";

/**
 * A trace file as a byte stream: `.xz` through a spawned `xz -dc` (faster than any JS decoder
 * measured here, see shared/notes/dependencies.md), `.gz` through zlib, anything else as is.
 */
export function openTraceFile(path: string): Readable {
  if (path.endsWith(".xz")) {
    const xz = spawn("xz", ["-dc", "--", path], { stdio: ["ignore", "pipe", "pipe"] });
    // The output ends only once xz has exited: a corrupt file must fail, not look short.
    const out = new PassThrough({ highWaterMark: 1 << 20 });
    xz.stdout.pipe(out, { end: false });
    let stderr = "";
    xz.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    xz.on("error", (err) => out.destroy(err));
    xz.on("close", (code) => {
      if (code === 0) out.end();
      else out.destroy(new Error(`xz -dc ${path} failed (exit ${code}): ${stderr.trim()}`));
    });
    out.on("close", () => {
      if (xz.exitCode === null) xz.kill();
    });
    return out;
  }
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  if (!path.endsWith(".gz")) return file;
  const gunzip = createGunzip();
  file.on("error", (err) => gunzip.destroy(err));
  return file.pipe(gunzip);
}
