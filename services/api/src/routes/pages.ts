import type { FastifyInstance } from "fastify";
import { AppError } from "../errors";
import { canonicalQuery, searchQuery } from "../schemas/search";
import { isMaintainer } from "../services/auth-tokens";
import { pageAuth } from "../services/pages-session";
import { loadSubmissionPage } from "../services/pages-submission";
import { homePage } from "../views/home";
import { cardPage, recordPage, submissionPage, uploadPage } from "../views/misc-pages";
import { maintainerPanelFor, sendPage as send } from "./page-reply";

// The search form's fields: every search filter (paging is not a form field).
const SEARCH_KEYS = Object.keys(searchQuery.shape).filter((k) => k !== "limit" && k !== "cursor");

/** Home (search, facets, recent submissions), card, submission, upload and "record a trace" pages. */
export async function pageRoutes(app: FastifyInstance): Promise<void> {
  const { prisma, config } = app.deps;

  app.get<{ Querystring: Record<string, string> }>("/", async (request, reply) => {
    const values: Record<string, string> = {};
    for (const k of SEARCH_KEYS) {
      const v = request.query[k];
      if (typeof v === "string" && v.trim() !== "") values[k] = v.trim();
    }
    // The search form sends its empty fields too: answer with the short URL worth sharing.
    const given = Object.entries(request.query).filter(([k]) => SEARCH_KEYS.includes(k));
    if (given.length > Object.keys(values).length) {
      const q = new URLSearchParams(values);
      if (request.query.cursor) q.set("cursor", request.query.cursor);
      return reply.redirect(`/?${q.toString()}`.replace(/\?$/, ""), 303);
    }
    const recentPromise = prisma.submission.findMany({
      where: { hidden: false, withdrawnAt: null },
      orderBy: { createdAt: "desc" },
      take: 10,
      select: {
        id: true,
        status: true,
        archiveName: true,
        createdAt: true,
        _count: { select: { traces: true } },
      },
    });
    const parsed = searchQuery.safeParse({ ...values, cursor: request.query.cursor });
    const recent = (await recentPromise).map((s) => ({ ...s, traceCount: s._count.traces }));
    if (!parsed.success) {
      const error = parsed.error.issues
        .map((i) => `${i.path.join(".") || "search"}: ${i.message}`)
        .join("; ");
      return send(reply.status(400), homePage({ query: "", values, error, recent }));
    }
    const searching = Object.keys(values).length > 0;
    const result = await app.reads.searchTraces(parsed.data);
    return send(
      reply,
      homePage({
        query: searching ? canonicalQuery(parsed.data) : "",
        values,
        total: result.total,
        traces: searching || result.total > 0 ? result.traces : undefined,
        facets: result.facets,
        next: result.next,
        recent,
      }),
    );
  });

  app.get<{ Params: { key: string } }>("/cards/:key", async (request, reply) => {
    const key = request.params.key;
    const isPci = /^[0-9a-f]{4}:[0-9a-f]{4}$/i.test(key);
    const parsed = searchQuery.safeParse(isPci ? { pci: key, limit: 100 } : { chipset: key, limit: 100 });
    if (!parsed.success)
      throw new AppError(
        "BAD_REQUEST",
        `'${key}' is neither a PCI id (10de:0fc6) nor a chipset (GK107, 0xe7)`,
      );
    const result = await app.reads.searchTraces(parsed.data, { withoutFacets: false });
    if (result.total === 0) throw new AppError("NOT_FOUND", `no trace of ${key} yet`);
    const first = result.traces[0]?.cards.find((c) =>
      isPci ? c.pciId === key.toLowerCase() : c.codeName === key || c.chipset === key,
    );
    const title = isPci
      ? `${key}${first?.pciName ? ` — ${first.pciName}` : ""}${first?.codeName ? ` (${first.codeName})` : ""}`
      : `${key}${first?.family ? ` — ${first.family}` : ""}${first?.architecture ? ` (${first.architecture})` : ""}`;
    return send(reply, cardPage(key, title, result.traces, result.total));
  });

  app.get<{ Params: { id: string } }>("/s/:id", async (request, reply) => {
    const maintainer = isMaintainer(await pageAuth(prisma, request));
    const view = await loadSubmissionPage(prisma, request.params.id.slice(0, 64), maintainer);
    if (!view) throw new AppError("NOT_FOUND", `no submission ${request.params.id}`);
    const panel = await maintainerPanelFor(prisma, maintainer, view.id, `/s/${view.id}`);
    return send(
      reply.header("cache-control", maintainer ? "private, no-store" : "no-cache"),
      submissionPage(view, panel),
    );
  });

  app.get("/upload", async (_request, reply) => send(reply, uploadPage(config.MAX_UPLOAD_BYTES)));
  app.get("/record", async (_request, reply) => send(reply, recordPage()));
}
