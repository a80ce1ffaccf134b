import type { FastifyPluginAsync } from "fastify";
import { AppError } from "../errors";
import { isMaintainer } from "../services/auth-tokens";
import type { EventService } from "../services/events-read";
import { registerNamer } from "../services/pages-registers";
import { pageAuth } from "../services/pages-session";
import { type BusyRegister, eventsRef, type PublicTrace } from "../services/pages-trace";
import { perObject } from "../services/read-caches";
import { SequenceRows, sequencePageBytes } from "../views/sequence-page";
import { tracePage } from "../views/trace-page";
import { maintainerPanelFor, sendPage } from "./page-reply";
import { lastEvent, publicTraceOr404, rangeQuery, resolveRange } from "./traces-events";

/** The most rows a sequence page shows (the linked range plus context); longer ranges get a link on. */
const PAGE_EVENTS = 1000;
const CONTEXT = 10;
/**
 * The sequence page's filter fields, picked once: zod compiles a schema's parser on its first use,
 * and a schema picked per request was compiled per request (a tenth of the page's CPU in a profile).
 */
const sequenceQuery = rangeQuery.pick({ register: true, access: true, bar: true });

export const tracePageRoutes: FastifyPluginAsync<{ events: EventService }> = async (app, { events }) => {
  const { prisma, config } = app.deps;
  /**
   * The busiest registers' names for the sequence page's filter list, once per list the read cache
   * hands out (the same array until the trace changes): naming them compiles the card's register
   * domain and looks up 50 offsets, the same on every page of the trace.
   */
  const registerNames = perObject((registers: BusyRegister[], trace: PublicTrace) =>
    registers.map(registerNamer(events.database(), trace.cards)),
  );

  app.get<{ Params: { id: string } }>("/t/:id", async (request, reply) => {
    const maintainer = isMaintainer(await pageAuth(prisma, request));
    const trace = await publicTraceOr404(app, request.params.id.slice(0, 64), maintainer);
    const panel = await maintainerPanelFor(prisma, maintainer, trace.submissionId, `/t/${trace.id}`);
    const registers = await app.reads.busiestRegisters(trace.id, 12);
    const nameOf = registerNamer(events.database(), trace.cards);
    return sendPage(
      reply.header("cache-control", maintainer ? "private, no-store" : "no-cache"),
      tracePage({ trace, registers, nameOf, rnndbVersion: events.rnndbVersion(), panel }),
    );
  });

  app.get<{ Params: { id: string; range: string }; Querystring: Record<string, string> }>(
    "/t/:id/e/:range",
    async (request, reply) => {
      const m = /^(\d{1,12})(?:-(\d{1,12}))?$/.exec(request.params.range);
      if (!m) throw new AppError("BAD_REQUEST", "the range is <from>-<to>, event numbers such as 100-199");
      const maintainer = isMaintainer(await pageAuth(prisma, request));
      const trace = await publicTraceOr404(app, request.params.id.slice(0, 64), maintainer);
      const q = sequenceQuery.safeParse({
        register: request.query.register || undefined,
        access: request.query.access || undefined,
        bar: request.query.bar || undefined,
      });
      if (!q.success)
        throw new AppError(
          "BAD_REQUEST",
          q.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
        );
      const from = Number(m[1]);
      const to = m[2] === undefined ? from : Number(m[2]);
      const last = lastEvent(trace);
      if (from > last) throw new AppError("NOT_FOUND", `trace ${trace.id} has events 0-${last}`);
      const range = resolveRange(trace, { from, to: Math.min(to, last), ...q.data });
      const filtered = Object.keys(range.filter).length > 0;
      const shownTo = Math.min(range.to, range.from + PAGE_EVENTS - 1);
      const rows = new SequenceRows(trace.id, range.from, range.to);
      // The rows are written into a pooled buffer and copied into the page (a buffer of its own,
      // back to the pool once the response is done with it): the rows' goes back when this
      // handler is done, whatever happened.
      try {
        await events.scan(
          eventsRef(trace),
          {
            from: filtered ? range.from : Math.max(0, range.from - CONTEXT),
            to: filtered ? shownTo : Math.min(last, shownTo + CONTEXT),
            filter: range.filter,
            limit: PAGE_EVENTS + 2 * CONTEXT,
            annotate: true,
          },
          rows,
        );
        const filterQuery = filtered
          ? `?${new URLSearchParams(
              Object.entries(q.data)
                .filter(([, v]) => v !== undefined)
                .map(([k, v]): [string, string] => [k, String(v)]),
            ).toString()}`
          : "";
        const registers = registerNames(await app.reads.busiestRegisters(trace.id, 50), trace);
        const page = sequencePageBytes({
          trace,
          from: range.from,
          to: range.to,
          shownTo,
          rows,
          last,
          filterQuery,
          filters: q.data,
          rnndbVersion: events.rnndbVersion(),
          permalink: `${config.PUBLIC_URL}/t/${trace.id}/e/${range.from}-${range.to}${filterQuery}`,
          registers,
        });
        reply.raw.once("close", page.release);
        return reply.type("text/html; charset=utf-8").send(page.body);
      } finally {
        rows.release();
      }
    },
  );
};
