import { createHash, randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";

/** Small helpers to speak tus to the app through inject. */
export const TUS = { "tus-resumable": "1.0.0" };

export const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");
const b64 = (text: string) => Buffer.from(text).toString("base64");

export function metadataHeader(pairs: Record<string, string>): string {
  return Object.entries(pairs)
    .map(([k, v]) => `${k} ${b64(v)}`)
    .join(",");
}

/** A distinct archive-like payload per call, so duplicates are only made on purpose. */
export const payload = (size: number) => randomBytes(size);

/**
 * The request that creates an upload of `data`: its length, and metadata with a file name and its
 * sha256, which `metadata` adds to or replaces.
 */
export function createRequest(data: Buffer, metadata: Record<string, string> = {}) {
  return {
    method: "POST" as const,
    url: "/api/v1/uploads",
    headers: {
      ...TUS,
      "upload-length": String(data.length),
      "upload-metadata": metadataHeader({ filename: "trace.tar.xz", sha256: sha256(data), ...metadata }),
    },
  };
}

export async function createUpload(
  app: FastifyInstance,
  data: Buffer,
  extra: Record<string, string> = {},
  headers: Record<string, string> = {},
) {
  const req = createRequest(data, extra);
  return app.inject({ ...req, headers: { ...req.headers, ...headers } });
}

export const pathOf = (location: string) => new URL(location).pathname;

export function patch(
  app: FastifyInstance,
  path: string,
  offset: number,
  body: Buffer,
  headers: Record<string, string> = {},
) {
  return app.inject({
    method: "PATCH",
    url: path,
    headers: {
      ...TUS,
      "upload-offset": String(offset),
      "content-type": "application/offset+octet-stream",
      ...headers,
    },
    payload: body,
  });
}

export function head(app: FastifyInstance, path: string, headers: Record<string, string> = {}) {
  return app.inject({ method: "HEAD", url: path, headers: { ...TUS, ...headers } });
}
