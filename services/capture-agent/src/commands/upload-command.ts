import { existsSync } from "node:fs";
import type { AgentConfig } from "../config";
import { formatBytes, type Ui } from "../ui";
import { RejectedError, TransientError } from "../upload/http";
import { multipartUpload } from "../upload/multipart-upload";
import { enqueue, listQueue, markFailed, markSent, type QueuedArchive, uploadOffset } from "../upload/queue";
import { type SubmissionLink, tusUpload } from "../upload/tus-upload";
import { CliError, EXIT_QUEUED } from "./cli-error";

export interface UploadArgs {
  method: "tus" | "multipart";
  contactEmail: string | undefined;
  chunkSize: number | undefined;
  retries: number | undefined;
}

const DEFAULT_CHUNK = 8 * 1024 * 1024;
const DEFAULT_RETRIES = 5;

function retryBaseMs(): number {
  return Number(process.env.MMIOHUB_RETRY_BASE_MS ?? 1000);
}

type Outcome =
  | { kind: "sent"; link: SubmissionLink }
  | { kind: "queued"; reason: string }
  | { kind: "rejected"; reason: string };

/** Sends one queued archive, retrying transient failures with exponential backoff. */
async function sendQueued(
  config: AgentConfig,
  entry: QueuedArchive,
  args: UploadArgs,
  ui: Ui,
): Promise<Outcome> {
  if (config.server === undefined)
    return { kind: "queued", reason: "no server configured (--server or MMIOHUB_SERVER)" };
  const target = { server: config.server, token: config.token };
  const retries = args.retries ?? DEFAULT_RETRIES;
  let lastError = "";
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) {
      const wait = Math.min(retryBaseMs() * 2 ** (attempt - 1), 60_000);
      ui.warn(`${lastError}; trying again in ${(wait / 1000).toFixed(1)} s (${attempt}/${retries})`);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    try {
      const link =
        args.method === "multipart"
          ? await multipartUpload(entry.archive, entry.sidecar, target, args.contactEmail, ui)
          : await tusUpload(entry.archive, entry.sidecar, target, args.chunkSize ?? DEFAULT_CHUNK, ui);
      return { kind: "sent", link: { ...link, url: new URL(link.url, `${config.server}/`).href } };
    } catch (error) {
      if (error instanceof RejectedError) return { kind: "rejected", reason: error.message };
      if (!(error instanceof TransientError)) throw error;
      lastError = error.message;
    }
  }
  return { kind: "queued", reason: lastError };
}

function report(config: AgentConfig, entry: QueuedArchive, outcome: Outcome, ui: Ui): number {
  switch (outcome.kind) {
    case "sent":
      markSent(config.queueDir, entry, outcome.link);
      ui.info(`sent ${entry.archive.split("/").pop()}: submission ${outcome.link.id}`);
      ui.info(`  ${outcome.link.url}`);
      if (outcome.link.manageToken) {
        ui.info(
          `  manage token (shown once; also kept in ${config.queueDir}/sent.jsonl): ${outcome.link.manageToken}\n` +
            "  send it as a Bearer token to edit or withdraw the submission",
        );
      }
      return 0;
    case "queued":
      ui.warn(
        `not sent (${outcome.reason}); it waits in ${config.queueDir}: run 'mmiohub-agent queue flush' later`,
      );
      return EXIT_QUEUED;
    case "rejected":
      markFailed(entry, outcome.reason);
      ui.warn(`the server refused ${entry.archive}: ${outcome.reason}`);
      return 1;
  }
}

export async function uploadArchive(
  config: AgentConfig,
  archive: string,
  args: UploadArgs,
  ui: Ui,
): Promise<{ code: number; outcome: Outcome }> {
  if (!existsSync(archive)) throw new CliError("NO_ARCHIVE", `${archive} does not exist`);
  const entry = enqueue(config.queueDir, archive);
  ui.info(
    `uploading ${entry.archive} (${formatBytes(entry.sidecar.size)}, sha256 ${entry.sidecar.sha256.slice(0, 16)}...) to ${config.server ?? "?"}`,
  );
  const outcome = await sendQueued(config, entry, args, ui);
  return { code: report(config, entry, outcome, ui), outcome };
}

export async function uploadCommand(
  config: AgentConfig,
  archive: string,
  args: UploadArgs,
  ui: Ui,
): Promise<number> {
  return (await uploadArchive(config, archive, args, ui)).code;
}

export function queueListCommand(config: AgentConfig, ui: Ui): number {
  const entries = listQueue(config.queueDir);
  if (entries.length === 0) ui.info(`the queue (${config.queueDir}) is empty`);
  for (const entry of entries) {
    const sent = uploadOffset(entry);
    const state = entry.failed
      ? `refused: ${entry.failed}`
      : sent > 0
        ? `${formatBytes(sent)} sent so far`
        : "waiting";
    ui.info(`${entry.archive.split("/").pop()}  ${formatBytes(entry.sidecar.size)}  ${state}`);
  }
  return 0;
}

/** Sends every waiting archive (refused ones stay, listed, until removed by hand). */
export async function queueFlushCommand(config: AgentConfig, args: UploadArgs, ui: Ui): Promise<number> {
  let worst = 0;
  for (const entry of listQueue(config.queueDir)) {
    if (entry.failed) continue;
    const code = report(config, entry, await sendQueued(config, entry, args, ui), ui);
    worst = Math.max(worst, code);
  }
  if (worst === 0) ui.info("queue flushed");
  return worst;
}
