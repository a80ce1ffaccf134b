import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, readSync, renameSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Metadata } from "../collect";
import { chooseXzBackend, xzBuffer } from "../compress";
import { DESCRIPTION_FILE, METADATA_FILE, TRACE_MEMBER } from "../recording-info";
import { tarEnd, tarHeader, tarPadding } from "../tar-header";
import type { Ui } from "../ui";
import { CliError } from "./cli-error";
import { readRecording, recordingDir } from "./collect-command";

export interface PackArgs {
  dir: string | undefined;
  output: string | undefined;
}

/** What upload needs besides the archive, kept next to it (`<archive>.json`). */
export interface ArchiveSidecar {
  archive: string;
  size: number;
  sha256: string;
  metadata: Metadata | null;
  description: string;
}

export function sidecarPath(archive: string): string {
  return `${archive}.json`;
}

/** `10de-0fc6_NVE0-GK107_20261126-0630.tar.xz`: PCI id and GPU family, as the old instructions asked. */
export function archiveName(
  metadata: Metadata | null,
  card: { pciId: string; family: string; name: string | null } | null,
  at: Date,
): string {
  const pci =
    card?.pciId ??
    metadata?.gpus.find((gpu) => gpu.pciId.startsWith("10de:"))?.pciId ??
    metadata?.gpus[0]?.pciId;
  const family = card ? [card.family, card.name].filter(Boolean).join("-") : "unknown";
  const stamp = at.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 13);
  return `${(pci ?? "unknown").replace(":", "-")}_${family}_${stamp}.tar.xz`.replace(/[^A-Za-z0-9._-]/g, "_");
}

/**
 * The archive is three .xz streams one after the other, which xz decoders read as one (the format
 * allows concatenated streams): [tar headers + metadata.json + description.txt + the trace's header],
 * [the trace exactly as `record` compressed it], [padding + end of archive]. So packing never
 * recompresses a trace of gigabytes, and the result is an ordinary .tar.xz.
 */
export function packCommand(args: PackArgs, ui: Ui): ArchiveSidecar {
  const dir = recordingDir(args.dir);
  const recording = readRecording(dir);
  if (recording === null) throw new CliError("NO_RECORDING", `no recording in ${dir} (run 'record' first)`);
  const tracePath = join(dir, recording.traceFile);
  if (!existsSync(tracePath)) throw new CliError("NO_RECORDING", `${tracePath} is missing`);
  const metadataPath = join(dir, METADATA_FILE);
  if (!existsSync(metadataPath))
    throw new CliError("NOT_COLLECTED", `no ${METADATA_FILE} in ${dir} (run 'collect' first)`);
  const metadataText = readFileSync(metadataPath);
  const metadata = JSON.parse(metadataText.toString("utf8")) as Metadata;
  const descriptionText = existsSync(join(dir, DESCRIPTION_FILE))
    ? readFileSync(join(dir, DESCRIPTION_FILE))
    : Buffer.alloc(0);

  const mtime = Math.floor(Date.parse(recording.endedAt) / 1000);
  const head = Buffer.concat([
    tarHeader(METADATA_FILE, metadataText.length, mtime),
    metadataText,
    tarPadding(metadataText.length),
    tarHeader(DESCRIPTION_FILE, descriptionText.length, mtime),
    descriptionText,
    tarPadding(descriptionText.length),
    tarHeader(TRACE_MEMBER, recording.textBytes, mtime),
  ]);
  const tail = Buffer.concat([tarPadding(recording.textBytes), tarEnd()]);
  const backend = chooseXzBackend();

  const output = resolve(
    args.output ?? join(dir, archiveName(metadata, recording.card, new Date(recording.startedAt))),
  );
  const partial = `${output}.partial`;
  const hash = createHash("sha256");
  const out = openSync(partial, "w");
  let size = 0;
  const put = (data: Buffer) => {
    hash.update(data);
    size += data.length;
    let written = 0;
    while (written < data.length) written += writeSync(out, data, written);
  };
  try {
    put(xzBuffer(head, backend));
    const input = openSync(tracePath, "r");
    const buffer = Buffer.allocUnsafe(1 << 20);
    try {
      for (;;) {
        const bytes = readSync(input, buffer, 0, buffer.length, null);
        if (bytes === 0) break;
        put(buffer.subarray(0, bytes));
      }
    } finally {
      closeSync(input);
    }
    put(xzBuffer(tail, backend));
  } finally {
    closeSync(out);
  }
  // Nothing half-written under the final name.
  renameSync(partial, output);
  const sidecar: ArchiveSidecar = {
    archive: output,
    size,
    sha256: hash.digest("hex"),
    metadata,
    description: descriptionText.toString("utf8").trim(),
  };
  const sidecarFd = openSync(sidecarPath(output), "w");
  writeSync(sidecarFd, `${JSON.stringify(sidecar, null, 2)}\n`);
  closeSync(sidecarFd);
  ui.info(`packed ${output} (${size} bytes, sha256 ${sidecar.sha256})`);
  return sidecar;
}
