import type { Readable } from "node:stream";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { AppError } from "../../errors";
import { anonymousUploadLimit } from "../../plugins/external/rate-limit";
import { errorBody } from "../../schemas/submission";
import {
  creationHeaders,
  headHeaders,
  patchHeaders,
  TUS_EXTENSIONS,
  TUS_VERSION,
  uploadParams,
} from "../../schemas/upload";
import { tokenIdOf } from "../../services/auth-tokens";
import { UploadFiles } from "../../services/upload-files";
import {
  appendChunk,
  createUpload,
  type FinishedUpload,
  loadUpload,
  removeUpload,
  sweepUploads,
  type UploadDeps,
} from "../../services/upload-service";

async function* emptyBody(): AsyncIterable<Uint8Array> {}

const OFFSET_STREAM = "application/offset+octet-stream";
const SWEEP_EVERY_MS = 10 * 60_000;

/** Reads and drops what is left of a request body, so the client gets our answer, not a reset. */
async function drain(body: unknown): Promise<void> {
  const stream = body as Readable | undefined;
  if (!stream || typeof stream.resume !== "function" || stream.readableEnded || stream.destroyed) return;
  await new Promise<void>((resolve) => {
    stream
      .on("end", resolve)
      .on("error", () => resolve())
      .on("close", resolve);
    stream.resume();
  });
}

/**
 * Resumable uploads: tus 1.0.0 with the creation, expiration and termination extensions. The state
 * is the `upload` row and the partial file under the storage root, so any API instance can take
 * the next chunk. The last chunk turns the upload into a submission after its sha256 is checked.
 */
export const uploadRoutes: FastifyPluginAsyncZod = async (app) => {
  const { prisma, storage, queue, config } = app.deps;
  const files = new UploadFiles(config.STORAGE_DIR);
  const depsOf = (request: FastifyRequest): UploadDeps => ({
    db: prisma,
    storage,
    queue,
    files,
    log: request.log,
    maxBytes: config.MAX_UPLOAD_BYTES,
    expiryMs: config.UPLOAD_EXPIRY_HOURS * 3_600_000,
  });
  const submissionUrl = (id: string) => `${config.PUBLIC_URL}/s/${id}`;
  const finishedHeaders = (reply: FastifyReply, done: FinishedUpload) => {
    reply
      .header("mmiohub-submission", done.submissionId)
      .header("mmiohub-url", submissionUrl(done.submissionId));
    if (done.manageToken) reply.header("mmiohub-manage-token", done.manageToken);
  };

  // The chunk body is a stream handed to the handler as it is: never buffered, never size-limited
  // by fastify (Upload-Length bounds it).
  app.addContentTypeParser(OFFSET_STREAM, (_request, payload, done) => done(null, payload));

  app.addHook("onRequest", async (request, reply) => {
    reply.header("tus-resumable", TUS_VERSION);
    if (request.method === "OPTIONS") return;
    if (request.headers["tus-resumable"] !== TUS_VERSION) {
      reply.header("tus-version", TUS_VERSION);
      throw new AppError("TUS_VERSION_UNSUPPORTED", `send Tus-Resumable: ${TUS_VERSION}`);
    }
  });

  const timer = setInterval(() => {
    sweepUploads({ db: prisma, files, expiryMs: config.UPLOAD_EXPIRY_HOURS * 3_600_000 }).catch((err) =>
      app.log.warn({ err }, "upload sweep failed"),
    );
  }, SWEEP_EVERY_MS);
  timer.unref();
  app.addHook("onClose", async () => clearInterval(timer));

  const options = async (_request: FastifyRequest, reply: FastifyReply) =>
    reply
      .status(204)
      .header("tus-version", TUS_VERSION)
      .header("tus-extension", TUS_EXTENSIONS)
      .header("tus-max-size", String(config.MAX_UPLOAD_BYTES))
      .send();
  const optionsSchema = { tags: ["uploads"], summary: "tus capabilities" };
  app.options("/api/v1/uploads", { schema: optionsSchema }, options);
  app.options("/api/v1/uploads/:id", { schema: { ...optionsSchema, params: uploadParams } }, options);

  app.post(
    "/api/v1/uploads",
    {
      config: { rateLimit: anonymousUploadLimit(config) },
      schema: {
        tags: ["uploads"],
        summary: "Start a resumable upload (tus creation)",
        description:
          "Answers 201 with the upload's URL in Location. Anonymous clients are rate limited like multipart uploads.",
        security: [{ bearer: [] }, {}],
        headers: creationHeaders,
        response: { "4xx": errorBody },
      },
    },
    async (request, reply) => {
      await drain(request.body);
      const row = await createUpload(depsOf(request), {
        length: request.headers["upload-length"] as string | undefined,
        metadata: request.headers["upload-metadata"] as string | undefined,
        tokenId: tokenIdOf(request.auth),
      });
      request.log.info({ uploadId: row.id, length: Number(row.length) }, "resumable upload started");
      return (reply as FastifyReply)
        .status(201)
        .header("location", `${config.PUBLIC_URL}/api/v1/uploads/${row.id}`)
        .header("upload-expires", row.expiresAt.toUTCString())
        .send();
    },
  );

  app.head(
    "/api/v1/uploads/:id",
    {
      schema: {
        tags: ["uploads"],
        summary: "Where an upload stands (Upload-Offset)",
        description: "A finished upload also names its submission (Mmiohub-Submission, Mmiohub-Url).",
        params: uploadParams,
        headers: headHeaders,
      },
    },
    async (request, reply) => {
      const row = await loadUpload(depsOf(request), request.params.id, request.auth);
      reply
        .status(200)
        .header("cache-control", "no-store")
        .header("upload-offset", String(row.offset))
        .header("upload-length", String(row.length))
        .header("upload-expires", row.expiresAt.toUTCString());
      if (row.submissionId) finishedHeaders(reply, { submissionId: row.submissionId, created: false });
      return reply.send();
    },
  );

  app.patch(
    "/api/v1/uploads/:id",
    {
      schema: {
        tags: ["uploads"],
        summary: "Send the next chunk",
        description:
          "Body: the bytes from Upload-Offset on (Content-Type: application/offset+octet-stream). Answers 204 " +
          "with the new Upload-Offset; the last chunk is answered once the sha256 matched and the submission " +
          "exists, with Mmiohub-Submission and Mmiohub-Url (and Mmiohub-Manage-Token, once, for a new " +
          "submission). A sha256 mismatch answers 460 and nothing is kept.",
        security: [{ bearer: [] }, {}],
        params: uploadParams,
        headers: patchHeaders,
        response: { "4xx": errorBody },
      },
    },
    async (request, reply) => {
      try {
        if (request.headers["content-type"] !== OFFSET_STREAM) {
          throw new AppError("UNSUPPORTED_MEDIA_TYPE", `send chunks as Content-Type: ${OFFSET_STREAM}`);
        }
        const offsetHeader = request.headers["upload-offset"];
        if (typeof offsetHeader !== "string" || !/^\d{1,16}$/.test(offsetHeader)) {
          throw new AppError("BAD_REQUEST", "Upload-Offset must be a byte offset");
        }
        const deps = depsOf(request);
        const row = await loadUpload(deps, request.params.id, request.auth);
        const lengthHeader = request.headers["content-length"];
        const result = await appendChunk(
          deps,
          row,
          Number(offsetHeader),
          (request.body as AsyncIterable<Uint8Array> | undefined) ?? emptyBody(),
          lengthHeader === undefined ? undefined : Number(lengthHeader),
        );
        const answer = (reply as FastifyReply).status(204).header("upload-offset", String(result.offset));
        if (result.finished) finishedHeaders(answer, result.finished);
        else answer.header("upload-expires", new Date(Date.now() + deps.expiryMs).toUTCString());
        return answer.send();
      } catch (err) {
        await drain(request.body);
        throw err;
      }
    },
  );

  app.delete(
    "/api/v1/uploads/:id",
    {
      schema: {
        tags: ["uploads"],
        summary: "Abandon an upload (tus termination)",
        security: [{ bearer: [] }, {}],
        params: uploadParams,
        headers: headHeaders,
        response: { "4xx": errorBody },
      },
    },
    async (request, reply) => {
      const deps = depsOf(request);
      const row = await loadUpload(deps, request.params.id, request.auth);
      await removeUpload(deps, row.id);
      return (reply as FastifyReply).status(204).send();
    },
  );
};
