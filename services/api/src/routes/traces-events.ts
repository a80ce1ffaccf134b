import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { AppError } from "../errors";
import { errorBody } from "../schemas/submission";
import { isMaintainer } from "../services/auth-tokens";
import { type EventFilter, parseRegister, parseTime } from "../services/events-filter";
import type { EventService } from "../services/events-read";
import { JsonRows } from "../services/events-rows";
import { eventsRef, type PublicTrace, phaseOf, publicOnly } from "../services/pages-trace";
import type { ReadCaches } from "../services/read-caches";

export const MAX_PAGE = 5000;

/** Query of an event range, shared by the events API, the downloads and the sequence view. */
export const rangeQuery = z.object({
  from: z.coerce.number().int().min(0).optional(),
  /** inclusive */
  to: z.coerce.number().int().min(0).optional(),
  time_from: z.string().max(24).optional(),
  time_to: z.string().max(24).optional(),
  /** marker sequence number: the phase from that marker to the next */
  phase: z.coerce.number().int().min(0).optional(),
  /** offset (0x001700), range (0x1700-0x17ff) or register name / prefix (PMC.ID) */
  register: z.string().max(140).optional(),
  access: z.enum(["r", "w"]).optional(),
  bar: z.coerce.number().int().min(0).max(6).optional(),
});
export type RangeQuery = z.infer<typeof rangeQuery>;

const eventRow = z.object({
  n: z.number(),
  kind: z.string(),
  line: z.string(),
  time: z.string().nullable(),
  device: z.number().nullable(),
  bar: z.number().nullable(),
  offset: z.string().nullable(),
  width: z.number().nullable(),
  value: z.string().nullable(),
  access: z.enum(["R", "W"]).nullable(),
  annotated: z.array(z.string()),
});

export const lastEvent = (t: PublicTrace) => Math.max(0, Number(t.eventCount || t.lineCount) - 1);

/** Turns the query into a range and filter of the trace, with a 400 naming what is wrong. */
export function resolveRange(
  trace: PublicTrace,
  q: RangeQuery,
): { from: number; to: number; filter: EventFilter } {
  let from = q.from ?? 0;
  let to = q.to ?? lastEvent(trace);
  if (q.phase !== undefined) {
    const phase = phaseOf(trace, q.phase);
    if (!phase) throw new AppError("NOT_FOUND", `trace ${trace.id} has no marker ${q.phase}`);
    from = Math.max(from, phase.from);
    to = Math.min(to, phase.to);
  }
  if (to < from) throw new AppError("BAD_REQUEST", `to (${to}) is before from (${from})`);
  const register = parseRegister(q.register);
  if (register === null)
    throw new AppError(
      "BAD_REQUEST",
      `register: '${q.register}' is not an offset (0x001700), a range (0x1700-0x17ff) or a register name`,
    );
  const fromUs = parseTime(q.time_from);
  const toUs = parseTime(q.time_to);
  if (fromUs === null)
    throw new AppError("BAD_REQUEST", "time_from: expected seconds as the log prints them (100.000200)");
  if (toUs === null)
    throw new AppError("BAD_REQUEST", "time_to: expected seconds as the log prints them (100.000200)");
  const filter: EventFilter = { ...register, access: q.access, bar: q.bar, fromUs, toUs };
  for (const k of Object.keys(filter) as (keyof EventFilter)[]) if (filter[k] === undefined) delete filter[k];
  return { from, to, filter };
}

/** The trace of a request (from the read cache), 404 when missing or hidden, 410 when withdrawn. */
export async function publicTraceOr404(app: { reads: ReadCaches }, id: string, includeHidden = false) {
  const trace = publicOnly(await app.reads.trace(id), id, includeHidden);
  if (!trace) throw new AppError("NOT_FOUND", `no trace ${id}`);
  return trace;
}

export const traceEventRoutes: FastifyPluginAsyncZod<{ events: EventService }> = async (app, { events }) => {
  app.get(
    "/api/v1/traces/:id/events",
    {
      // The answer is written straight into bytes as the events come (JsonRows): no zod pass and no
      // JSON.stringify over up to 5000 rows. The schema still documents it (/docs).
      schema: {
        params: z.object({ id: z.string().max(64) }),
        querystring: rangeQuery.extend({
          limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(500),
          annotate: z.enum(["0", "1", "true", "false"]).default("1"),
        }),
        response: {
          200: z.object({
            trace: z.string(),
            from: z.number(),
            to: z.number(),
            rnndbVersion: z.string().nullable(),
            events: z.array(eventRow),
            next: z.number().nullable(),
          }),
          "4xx": errorBody,
        },
      },
    },
    async (request, reply) => {
      const trace = await publicTraceOr404(app, request.params.id, isMaintainer(request.auth));
      const { from, to, filter } = resolveRange(trace, request.query);
      const annotate = request.query.annotate === "1" || request.query.annotate === "true";
      const rows = new JsonRows({ trace: trace.id, from, to, rnndbVersion: events.rnndbVersion() });
      // The answer is a view of a pooled buffer: back to the pool once this handler is done writing
      // it and the response is done with it ('close' comes after the socket has written it, after
      // the client went away, or after an error answer).
      const written = rows.releaseAfter(reply.raw);
      try {
        const { next } = await events.scan(
          eventsRef(trace),
          { from, to, filter, limit: request.query.limit, annotate },
          rows,
        );
        // A Buffer is sent as it is: the response schema above describes it but serialises nothing.
        return reply.type("application/json; charset=utf-8").send(rows.finish({ next }) as never);
      } finally {
        written();
      }
    },
  );
};
