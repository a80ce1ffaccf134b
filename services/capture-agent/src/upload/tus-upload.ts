import { createReadStream, existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import type { ArchiveSidecar } from "../commands/pack-command";
import type { Ui } from "../ui";
import { authHeaders, failure, send, TransientError } from "./http";
import { createTransferProgress } from "./progress";

export interface UploadTarget {
  server: string;
  token: string | undefined;
}

export interface SubmissionLink {
  id: string;
  url: string;
  status?: string;
  /** Given once, for a new submission: the Bearer token that lets the uploader edit or withdraw it. */
  manageToken?: string;
}

/** Where a resumable upload stands, saved next to the queued archive after every chunk. */
interface TusState {
  server: string;
  sha256: string;
  location: string;
  offset: number;
}

const TUS = { "Tus-Resumable": "1.0.0" };

export function tusStatePath(archive: string): string {
  return `${archive}.upload.json`;
}

function loadState(archive: string, server: string, sha256: string): TusState | null {
  const path = tusStatePath(archive);
  if (!existsSync(path)) return null;
  const state = JSON.parse(readFileSync(path, "utf8")) as TusState;
  return state.server === server && state.sha256 === sha256 ? state : null;
}

function saveState(archive: string, state: TusState): void {
  writeFileSync(tusStatePath(archive), `${JSON.stringify(state)}\n`);
}

function b64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

function linkFrom(headers: Record<string, string | string[] | undefined>): SubmissionLink | null {
  const id = headers["mmiohub-submission"];
  const url = headers["mmiohub-url"];
  const token = headers["mmiohub-manage-token"];
  if (typeof id !== "string" || typeof url !== "string") return null;
  return typeof token === "string" ? { id, url, manageToken: token } : { id, url };
}

async function create(archive: string, sidecar: ArchiveSidecar, target: UploadTarget): Promise<TusState> {
  const pairs = [
    `filename ${b64(basename(archive))}`,
    `sha256 ${b64(sidecar.sha256)}`,
    ...(sidecar.metadata ? [`metadata ${b64(JSON.stringify(sidecar.metadata))}`] : []),
    ...(sidecar.description ? [`description ${b64(sidecar.description)}`] : []),
  ];
  const response = await send(`${target.server}/api/v1/uploads`, {
    method: "POST",
    headers: {
      ...TUS,
      ...authHeaders(target.token),
      "Upload-Length": sidecar.size,
      "Upload-Metadata": pairs.join(","),
      "Content-Length": 0,
    },
  });
  const location = response.headers.location;
  if (response.status !== 201 || typeof location !== "string") throw failure(response, "creating the upload");
  const state = {
    server: target.server,
    sha256: sidecar.sha256,
    location: new URL(location, `${target.server}/`).href,
    offset: 0,
  };
  saveState(archive, state);
  return state;
}

/** Asks the server how much it has; null when it forgot the upload (expired, or never had it). */
async function offsetOnServer(
  state: TusState,
  target: UploadTarget,
): Promise<{ offset: number; link: SubmissionLink | null } | null> {
  const response = await send(state.location, {
    method: "HEAD",
    headers: { ...TUS, ...authHeaders(target.token) },
  });
  if (response.status === 404 || response.status === 410) return null;
  const offset = Number(response.headers["upload-offset"]);
  if (response.status >= 300 || !Number.isInteger(offset))
    throw failure(response, "asking for the upload offset");
  return { offset, link: linkFrom(response.headers) };
}

/**
 * One attempt at a tus 1.0.0 upload (creation extension), resuming where the server stands. Errors
 * bubble up as TransientError (try again later, the state file keeps the place) or RejectedError.
 */
export async function tusUpload(
  archive: string,
  sidecar: ArchiveSidecar,
  target: UploadTarget,
  chunkSize: number,
  ui: Ui,
): Promise<SubmissionLink> {
  let state = loadState(archive, target.server, sidecar.sha256);
  if (state !== null) {
    const remote = await offsetOnServer(state, target);
    if (remote === null) state = null;
    else {
      if (remote.offset === sidecar.size && remote.link) return remote.link;
      state.offset = remote.offset;
      if (remote.offset > 0) ui.info(`resuming the upload at byte ${remote.offset} of ${sidecar.size}`);
    }
  }
  if (state === null) state = await create(archive, sidecar, target);

  const progress = createTransferProgress(ui, sidecar.size, state.offset);
  try {
    for (;;) {
      const end = Math.min(state.offset + chunkSize, sidecar.size);
      const body = createReadStream(archive, { start: state.offset, end: Math.max(end - 1, state.offset) });
      body.on("data", (chunk) => progress.add(chunk.length));
      const response = await send(state.location, {
        method: "PATCH",
        headers: {
          ...TUS,
          ...authHeaders(target.token),
          "Upload-Offset": state.offset,
          "Content-Type": "application/offset+octet-stream",
          "Content-Length": end - state.offset,
        },
        body: end > state.offset ? body : Buffer.alloc(0),
      });
      if (end === state.offset) body.destroy();
      if (response.status === 409) {
        // We and the server disagree on the offset: ask, and continue from its answer.
        const remote = await offsetOnServer(state, target);
        if (remote === null) throw new TransientError("the server forgot the upload; it will start again");
        state.offset = remote.offset;
        progress.set(state.offset);
        continue;
      }
      if (response.status !== 204) throw failure(response, `sending bytes ${state.offset}-${end}`);
      const offset = Number(response.headers["upload-offset"] ?? end);
      state.offset = offset;
      saveState(archive, state);
      progress.set(offset);
      if (offset >= sidecar.size) {
        const link = linkFrom(response.headers);
        if (link === null) throw new TransientError("the server took the last chunk but named no submission");
        return link;
      }
    }
  } finally {
    progress.done();
  }
}
