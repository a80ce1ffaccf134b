import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { basename } from "node:path";
import { PassThrough } from "node:stream";
import type { ArchiveSidecar } from "../commands/pack-command";
import type { Ui } from "../ui";
import { authHeaders, failure, send, TransientError } from "./http";
import { createTransferProgress } from "./progress";
import type { SubmissionLink, UploadTarget } from "./tus-upload";

/** One-shot multipart/form-data upload to POST /api/v1/submissions, streamed from disk. */
export async function multipartUpload(
  archive: string,
  sidecar: ArchiveSidecar,
  target: UploadTarget,
  contactEmail: string | undefined,
  ui: Ui,
): Promise<SubmissionLink> {
  const boundary = `mmiohub-${randomBytes(12).toString("hex")}`;
  const field = (name: string, value: string) =>
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  const parts: Buffer[] = [];
  if (sidecar.description) parts.push(field("description", sidecar.description));
  if (sidecar.metadata) parts.push(field("metadata", JSON.stringify(sidecar.metadata)));
  if (contactEmail) parts.push(field("contact_email", contactEmail));
  const fileHead = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="archive"; filename="${basename(archive).replace(/"/g, "")}"\r\n` +
      "Content-Type: application/x-xz\r\n\r\n",
  );
  const closing = Buffer.from(`\r\n--${boundary}--\r\n`);
  const head = Buffer.concat([...parts, fileHead]);
  const length = head.length + sidecar.size + closing.length;

  const progress = createTransferProgress(ui, sidecar.size, 0);
  const body = new PassThrough();
  body.write(head);
  const file = createReadStream(archive);
  file.on("data", (chunk) => progress.add(chunk.length));
  file.on("error", (error) => body.destroy(error));
  file.on("end", () => body.end(closing));
  file.pipe(body, { end: false });
  try {
    const response = await send(`${target.server}/api/v1/submissions`, {
      method: "POST",
      headers: {
        ...authHeaders(target.token),
        "Content-Type": `multipart/form-data; boundary=${boundary}`,
        "Content-Length": length,
      },
      body,
    });
    if (response.status !== 202 && response.status !== 200) throw failure(response, "uploading the archive");
    const answer = JSON.parse(response.text) as SubmissionLink;
    if (typeof answer.id !== "string" || typeof answer.url !== "string") {
      throw new TransientError(`the server answered ${response.status} without an id and url`);
    }
    return {
      id: answer.id,
      url: answer.url,
      ...(typeof answer.manageToken === "string" ? { manageToken: answer.manageToken } : {}),
    };
  } finally {
    progress.done();
  }
}
