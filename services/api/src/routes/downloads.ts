import { Readable } from "node:stream";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { AppError } from "../errors";
import { isMaintainer } from "../services/auth-tokens";
import type { EventService } from "../services/events-read";
import { pageAuth } from "../services/pages-session";
import { eventsRef } from "../services/pages-trace";
import { publicTraceOr404, rangeQuery, resolveRange } from "./traces-events";

const downloadQuery = rangeQuery.pick({ from: true, to: true, phase: true });

/** An attachment header that no file name (attacker-chosen) can break out of. */
export function attachment(name: string): string {
  // Cut by code points: a UTF-16 cut through a pair leaves a lone surrogate, which encodeURIComponent
  // refuses (URIError, a 500).
  const cut = Array.from(name).slice(0, 150).join("");
  const ascii = cut.replace(/[^\w.+-]/g, "_") || "download";
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(cut)}`;
}

export const downloadRoutes: FastifyPluginAsyncZod<{ events: EventService }> = async (app, { events }) => {
  const params = z.object({ id: z.string().max(64) });

  app.get("/api/v1/traces/:id/archive", { schema: { params } }, async (request, reply) => {
    // A maintainer's token, or the session of the pages (a link clicked on the trace page).
    const maintainer = isMaintainer(await pageAuth(app.deps.prisma, request));
    const trace = await publicTraceOr404(app, request.params.id, maintainer);
    const s = trace.submission;
    // The archive as uploaded is as the uploader packed it: its metadata.json may hold what the
    // uploader keeps private (ingest names it), which no public answer may carry.
    if (s.archiveProtected.length > 0 && !maintainer)
      throw new AppError(
        "FORBIDDEN",
        `this archive holds what its uploader keeps private (${s.archiveProtected.join(", ")}): maintainers only; the trace itself is at /api/v1/traces/${trace.id}/log`,
      );
    const body = await app.deps.storage.get(s.archiveSha256);
    return reply
      .header("content-type", "application/octet-stream")
      .header("content-length", String(s.archiveSize))
      .header("content-disposition", attachment(s.archiveName))
      .send(body);
  });

  app.get(
    "/api/v1/traces/:id/log",
    { schema: { params, querystring: downloadQuery } },
    async (request, reply) => {
      const trace = await publicTraceOr404(app, request.params.id, isMaintainer(request.auth));
      const { from, to } = resolveRange(trace, request.query);
      return reply
        .header("content-type", "text/plain; charset=utf-8")
        .header("content-disposition", attachment(`${trace.id}-${from}-${to}.mmiotrace`))
        .send(Readable.from(await events.log(eventsRef(trace), from, to)));
    },
  );

  app.get(
    "/api/v1/traces/:id/annotated",
    { schema: { params, querystring: downloadQuery } },
    async (request, reply) => {
      const trace = await publicTraceOr404(app, request.params.id, isMaintainer(request.auth));
      const { from, to } = resolveRange(trace, request.query);
      return reply
        .header("content-type", "text/plain; charset=utf-8")
        .header("content-disposition", attachment(`${trace.id}-${from}-${to}.demmio.txt`))
        .header("x-rnndb-version", events.rnndbVersion() ?? "none")
        .send(Readable.from(await events.annotated(eventsRef(trace), from, to)));
    },
  );
};
