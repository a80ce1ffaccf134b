import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { AppError } from "../errors";
import { errorBody, submissionAccepted, submissionView } from "../schemas/submission";
import { createSubmission } from "../services/submission-service";
import { loadSubmissionView } from "../services/submission-view";
import { receiveUpload } from "../services/upload-receiver";

export const submissionRoutes: FastifyPluginAsyncZod = async (app) => {
  const { prisma, storage, queue, config } = app.deps;
  const urlOf = (id: string) => `${config.PUBLIC_URL}/s/${id}`;

  app.post(
    "/api/v1/submissions",
    { schema: { response: { 200: submissionAccepted, 202: submissionAccepted, "4xx": errorBody } } },
    async (request, reply) => {
      const isReferenced = async (key: string) =>
        (await prisma.submission.count({ where: { archiveSha256: key } })) > 0;
      const upload = await receiveUpload(request, storage, config.MAX_UPLOAD_BYTES, isReferenced);
      const result = await createSubmission(
        { db: prisma, storage, queue, log: request.log },
        upload.blob,
        upload.archiveName,
        upload.fields,
      );
      request.log.info(
        { submissionId: result.id, created: result.created, size: upload.blob.size },
        "upload received",
      );
      // The same bytes uploaded again: point at the existing submission instead of a duplicate.
      return reply
        .status(result.created ? 202 : 200)
        .send({ id: result.id, status: result.status, url: urlOf(result.id) });
    },
  );

  app.get(
    "/api/v1/submissions/:id",
    {
      schema: {
        params: z.object({ id: z.string().max(64) }),
        response: { 200: submissionView, "4xx": errorBody },
      },
    },
    async (request) => {
      const view = await loadSubmissionView(prisma, request.params.id, urlOf);
      if (!view) throw new AppError("NOT_FOUND", `no submission ${request.params.id}`);
      return view;
    },
  );
};
