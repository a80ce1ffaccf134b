import type { FastifyInstance } from "fastify";
import { AppError } from "../errors";
import { submissionPatch } from "../schemas/submission";
import { isMaintainer, manageTokenMatches } from "../services/auth-tokens";
import { pageAuth, SESSION_COOKIE, sameOrigin, tokenAuth } from "../services/pages-session";
import { reprocessSubmission, updateSubmission, withdrawSubmission } from "../services/submission-manage";
import { loginPage, managePage } from "../views/maintain-pages";
import { sendPage as send } from "./page-reply";

type Form = Record<string, string | undefined>;

/** Only our own paths: a `back` field must not redirect anywhere else. */
const localPath = (p: string | undefined, fallback: string) => (p && /^\/[\w/-]*$/.test(p) ? p : fallback);

/** Maintainer sign-in, the uploader's manage page, and the maintainers' actions. */
export async function maintainPageRoutes(app: FastifyInstance): Promise<void> {
  const { prisma, queue, config } = app.deps;
  /** Where submission changes are written, and this process's read caches told of them. */
  const changes = { db: prisma, reads: app.reads };
  const secure = config.PUBLIC_URL.startsWith("https:") ? "; Secure" : "";

  // Plain HTML forms post urlencoded bodies (these routes only).
  app.addContentTypeParser(
    "application/x-www-form-urlencoded",
    { parseAs: "string", bodyLimit: 64 * 1024 },
    (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  app.addHook("preHandler", async (request) => {
    if (request.method === "POST" && !sameOrigin(request))
      throw new AppError("FORBIDDEN", "this form must be sent from this site's own pages");
  });

  app.get("/login", async (request, reply) => {
    const auth = await pageAuth(prisma, request);
    return send(reply, loginPage(undefined, auth.kind === "token" ? auth.name : undefined));
  });

  app.post<{ Body: Form }>("/login", async (request, reply) => {
    const token = (request.body?.token ?? "").trim();
    const auth = await tokenAuth(prisma, token);
    if (!isMaintainer(auth))
      return send(reply.status(401), loginPage("That is not a valid maintainer token."));
    return reply
      .header(
        "set-cookie",
        `${SESSION_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000${secure}`,
      )
      .redirect("/", 303);
  });

  app.post("/logout", async (_request, reply) =>
    reply
      .header("set-cookie", `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure}`)
      .redirect("/login", 303),
  );

  const owned = async (id: string, token: string | undefined) => {
    const s = await prisma.submission.findUnique({
      where: { id: id.slice(0, 64) },
      select: { id: true, description: true, withdrawnAt: true, manageTokenHash: true },
    });
    if (!s || !token || !manageTokenMatches(token, s.manageTokenHash))
      throw new AppError("NOT_FOUND", "no submission with this manage link (check the link you were given)");
    return s;
  };

  app.get<{ Params: { id: string }; Querystring: Form }>("/s/:id/manage", async (request, reply) => {
    const s = await owned(request.params.id, request.query.token);
    return send(reply.header("cache-control", "no-store"), managePage(s, request.query.token!));
  });

  app.post<{ Params: { id: string }; Body: Form }>("/s/:id/manage", async (request, reply) => {
    const token = request.body?.token;
    const s = await owned(request.params.id, token);
    if (request.body?.action === "withdraw") {
      await withdrawSubmission(changes, s.id);
      return send(reply, managePage({ ...s, withdrawnAt: new Date() }, token!, "Withdrawn."));
    }
    // The API's rules (64 KiB, no NUL): refused with the reason, never cut short silently.
    const checked = submissionPatch.shape.description.safeParse(request.body?.description ?? "");
    if (!checked.success)
      throw new AppError("METADATA_INVALID", `description: ${checked.error.issues[0]?.message}`);
    const description = checked.data ?? "";
    await updateSubmission(changes, s.id, {
      description: description === "" ? null : description,
    });
    return send(reply, managePage({ ...s, description }, token!, "Description saved."));
  });

  app.post<{ Params: { id: string }; Body: Form }>("/s/:id/maintain", async (request, reply) => {
    if (!isMaintainer(await pageAuth(prisma, request)))
      throw new AppError("FORBIDDEN", "maintainers only: sign in at /login");
    const id = request.params.id.slice(0, 64);
    const exists = await prisma.submission.count({ where: { id } });
    if (!exists) throw new AppError("NOT_FOUND", `no submission ${id}`);
    const action = request.body?.action;
    if (action === "reprocess") await reprocessSubmission(changes, queue, id);
    else if (action === "hide" || action === "unhide")
      await updateSubmission(changes, id, { hidden: action === "hide" });
    else if (action === "withdraw") await withdrawSubmission(changes, id);
    else throw new AppError("BAD_REQUEST", "action: one of reprocess, hide, unhide, withdraw");
    request.log.info({ submissionId: id, action }, "maintainer action");
    return reply.redirect(localPath(request.body?.back, `/s/${id}`), 303);
  });
}
