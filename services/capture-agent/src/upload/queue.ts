import { createHash } from "node:crypto";
import {
  appendFileSync,
  closeSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, join, resolve } from "node:path";
import { type ArchiveSidecar, sidecarPath } from "../commands/pack-command";
import { tusStatePath } from "./tus-upload";

/**
 * Archives waiting to be sent. Each lives in the queue directory with its sidecar (`.json`: metadata,
 * description, sha256), its resumable-upload state (`.upload.json`) and, after a refusal, `.failed`.
 * Sent ones are appended to sent.jsonl with their link.
 */
export interface QueuedArchive {
  archive: string;
  sidecar: ArchiveSidecar;
  failed: string | null;
}

function sha256File(path: string): { sha256: string; size: number } {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, "r");
  let size = 0;
  try {
    for (let bytes = readSync(fd, buffer); bytes > 0; bytes = readSync(fd, buffer)) {
      hash.update(buffer.subarray(0, bytes));
      size += bytes;
    }
  } finally {
    closeSync(fd);
  }
  return { sha256: hash.digest("hex"), size };
}

/** Sidecar of an archive; made from the file alone when `pack` did not leave one. */
export function sidecarFor(archive: string): ArchiveSidecar {
  const path = sidecarPath(archive);
  if (existsSync(path)) return JSON.parse(readFileSync(path, "utf8")) as ArchiveSidecar;
  return { archive, ...sha256File(archive), metadata: null, description: "" };
}

export function enqueue(queueDir: string, archive: string): QueuedArchive {
  mkdirSync(queueDir, { recursive: true });
  const source = resolve(archive);
  const target = join(resolve(queueDir), basename(source));
  const sidecar = sidecarFor(source);
  if (source !== target) {
    if (!existsSync(target)) {
      try {
        linkSync(source, target);
      } catch {
        copyFileSync(source, target);
      }
    }
    writeFileSync(sidecarPath(target), `${JSON.stringify({ ...sidecar, archive: target }, null, 2)}\n`);
  }
  return { archive: target, sidecar: { ...sidecar, archive: target }, failed: null };
}

export function listQueue(queueDir: string): QueuedArchive[] {
  if (!existsSync(queueDir)) return [];
  return readdirSync(queueDir)
    .filter((name) => name.endsWith(".tar.xz"))
    .sort()
    .map((name) => {
      const archive = join(queueDir, name);
      const failedPath = `${archive}.failed`;
      return {
        archive,
        sidecar: sidecarFor(archive),
        failed: existsSync(failedPath) ? readFileSync(failedPath, "utf8").trim() : null,
      };
    });
}

export function markFailed(entry: QueuedArchive, reason: string): void {
  writeFileSync(`${entry.archive}.failed`, `${reason}\n`);
}

export function markSent(
  queueDir: string,
  entry: QueuedArchive,
  link: { id: string; url: string; manageToken?: string },
): void {
  // It may hold manage tokens: readable by the user only.
  appendFileSync(
    join(queueDir, "sent.jsonl"),
    `${JSON.stringify({ archive: basename(entry.archive), sha256: entry.sidecar.sha256, ...link, sentAt: new Date().toISOString() })}\n`,
    { mode: 0o600 },
  );
  for (const path of [
    entry.archive,
    sidecarPath(entry.archive),
    tusStatePath(entry.archive),
    `${entry.archive}.failed`,
  ]) {
    rmSync(path, { force: true });
  }
}

export function uploadOffset(entry: QueuedArchive): number {
  const path = tusStatePath(entry.archive);
  if (!existsSync(path)) return 0;
  return (JSON.parse(readFileSync(path, "utf8")) as { offset: number }).offset;
}
