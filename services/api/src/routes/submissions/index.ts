import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { AppError } from "../../errors";
import { anonymousUploadLimit } from "../../plugins/external/rate-limit";
import {
  errorBody,
  submissionAccepted,
  submissionParams,
  submissionPatch,
  submissionView,
} from "../../schemas/submission";
import { isMaintainer, tokenIdOf } from "../../services/auth-tokens";
import { requireManage, requireVisible } from "../../services/submission-access";
import { reprocessSubmission, updateSubmission, withdrawSubmission } from "../../services/submission-manage";
import { createSubmission } from "../../services/submission-service";
import { loadSubmission, submissionView as toView } from "../../services/submission-view";
import { receiveUpload } from "../../services/upload-receiver";

const bearer: { [label: string]: string[] }[] = [{ bearer: [] }, {}];

export const submissionRoutes: FastifyPluginAsyncZod = async (app) => {
  const { prisma, storage, queue, config } = app.deps;
  /** Where submission changes are written, and this process's read caches told of them. */
  const changes = { db: prisma, reads: app.reads };
  const urlOf = (id: string) => `${config.PUBLIC_URL}/s/${id}`;
  const manageUrlOf = (id: string, token: string) => `${config.PUBLIC_URL}/s/${id}/manage?token=${token}`;

  const load = async (id: string) => {
    const s = await loadSubmission(prisma, id);
    if (!s) throw new AppError("NOT_FOUND", `no submission ${id}`);
    return s;
  };

  app.post(
    "/api/v1/submissions",
    {
      config: { rateLimit: anonymousUploadLimit(config) },
      schema: {
        tags: ["submissions"],
        summary: "Upload an archive (multipart)",
        description:
          "multipart/form-data with the file in `archive` and optional `description`, `metadata` (JSON) and " +
          "`contact_email`. Anonymous uploads are rate limited per client. A new submission answers 202 with a " +
          "manage token shown only this once; the same bytes again answer 200 with the existing submission.",
        security: bearer,
        consumes: ["multipart/form-data"],
        response: { 200: submissionAccepted, 202: submissionAccepted, "4xx": errorBody },
      },
    },
    async (request, reply) => {
      const isReferenced = async (key: string) =>
        (await prisma.submission.count({ where: { archiveSha256: key } })) > 0;
      const upload = await receiveUpload(request, storage, config.MAX_UPLOAD_BYTES, isReferenced);
      const result = await createSubmission(
        { db: prisma, storage, queue, log: request.log },
        upload.blob,
        upload.archiveName,
        upload.fields,
        tokenIdOf(request.auth),
      );
      request.log.info(
        { submissionId: result.id, created: result.created, size: upload.blob.size },
        "upload received",
      );
      // The same bytes uploaded again: point at the existing submission instead of a duplicate.
      return reply.status(result.created ? 202 : 200).send({
        id: result.id,
        status: result.status,
        url: urlOf(result.id),
        ...(result.manageToken
          ? { manageToken: result.manageToken, manageUrl: manageUrlOf(result.id, result.manageToken) }
          : {}),
      });
    },
  );

  app.get(
    "/api/v1/submissions/:id",
    {
      schema: {
        tags: ["submissions"],
        summary: "Status and public facts of a submission",
        description: "Protected fields (`protected`) are present for maintainers only.",
        security: bearer,
        params: submissionParams,
        response: { 200: submissionView, "4xx": errorBody },
      },
    },
    async (request) => {
      const s = await load(request.params.id);
      return toView(s, requireVisible(request.auth, s), urlOf);
    },
  );

  app.patch(
    "/api/v1/submissions/:id",
    {
      schema: {
        tags: ["submissions"],
        summary: "Edit the description (owner or maintainer) or hide (maintainer)",
        description:
          "The owner authenticates with the manage token handed out at upload (or the API token used to " +
          "upload); maintainers with their token.",
        security: [{ bearer: [] }],
        params: submissionParams,
        body: submissionPatch,
        response: { 200: submissionView, "4xx": errorBody },
      },
    },
    async (request) => {
      const s = await load(request.params.id);
      const access = requireManage(request.auth, s);
      if (request.body.hidden !== undefined && !isMaintainer(request.auth)) {
        throw new AppError("FORBIDDEN", "only maintainers hide or unhide submissions");
      }
      await updateSubmission(changes, s.id, request.body);
      request.log.info(
        { submissionId: s.id, access, fields: Object.keys(request.body) },
        "submission edited",
      );
      return toView(await load(s.id), access, urlOf);
    },
  );

  app.post(
    "/api/v1/submissions/:id/withdraw",
    {
      schema: {
        tags: ["submissions"],
        summary: "Withdraw a submission (owner or maintainer)",
        description: "It disappears from search and public pages; repeating it changes nothing.",
        security: [{ bearer: [] }],
        params: submissionParams,
        response: { 200: submissionView, "4xx": errorBody },
      },
    },
    async (request) => {
      const s = await load(request.params.id);
      const access = requireManage(request.auth, s);
      await withdrawSubmission(changes, s.id);
      request.log.info({ submissionId: s.id, access }, "submission withdrawn");
      return toView(await load(s.id), access, urlOf);
    },
  );

  app.post(
    "/api/v1/submissions/:id/reprocess",
    {
      schema: {
        tags: ["submissions"],
        summary: "Run ingest again (maintainers)",
        description:
          "For a finished or failed submission: back to `received` and queued; its traces stay visible until " +
          "the new result replaces them. 202 with the submission; 409 while it is still being ingested.",
        security: [{ bearer: [] }],
        params: submissionParams,
        response: { 202: submissionView, "4xx": errorBody },
      },
    },
    async (request, reply) => {
      if (request.auth.kind === "anonymous") throw new AppError("AUTH_REQUIRED", "send a maintainer token");
      if (!isMaintainer(request.auth))
        throw new AppError("FORBIDDEN", "only maintainers reprocess submissions");
      const s = await load(request.params.id);
      await reprocessSubmission(changes, queue, s.id);
      request.log.info({ submissionId: s.id }, "reprocess requested");
      return reply.status(202).send(toView(await load(s.id), "maintainer", urlOf));
    },
  );
};
