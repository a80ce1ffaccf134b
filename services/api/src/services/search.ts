import { type Db, Prisma } from "@mmiohub/db";
import { CHIPSET_FAMILIES } from "@mmiohub/trace";
import { AppError } from "../errors";
import type { SearchFacets, SearchFilters, SearchSort, TraceHit } from "../schemas/search";

/** Largest `register_stat.span` the worker writes (a page of a memory aperture). */
const PAGE_SPAN = 4096;

export interface SearchOptions {
  /** Maintainers may see hidden and withdrawn submissions; nobody else does. */
  includeHidden?: boolean;
  /** Link of a trace's page; `/t/<id>` when not given. */
  traceUrl?: (id: string) => string;
  /** Skip the facet and total query (a page of rows only). */
  withoutFacets?: boolean;
}

export interface SearchResult {
  total: number;
  traces: TraceHit[];
  facets: SearchFacets;
  /** Cursor of the next page (opaque), null on the last page. */
  next: string | null;
}

const FACET_SIZE = 30;
const sql = Prisma.sql;
const hex4 = (n: number) => n.toString(16).padStart(4, "0");
const likeEscape = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);
const isMidnight = (d: Date) => d.getTime() % 86_400_000 === 0;

/** Families a `family` filter names: a nouveau family (NVE0) or every family of an architecture. */
function familiesOf(text: string): string[] {
  const upper = text.toUpperCase();
  const byFamily = CHIPSET_FAMILIES.filter((f) => f.family === upper).map((f) => f.family);
  if (byFamily.length > 0) return byFamily;
  const byArch = CHIPSET_FAMILIES.filter((f) => f.architecture.toLowerCase() === text.toLowerCase());
  return byArch.length > 0 ? byArch.map((f) => f.family) : [upper];
}

function driverCondition(text: string): Prisma.Sql {
  const slash = text.indexOf("/");
  if (slash > 0) {
    return sql`lower(s.driver_name) = ${text.slice(0, slash).toLowerCase()} AND s.driver_version = ${text.slice(slash + 1)}`;
  }
  return /^\d/.test(text)
    ? sql`s.driver_version = ${text}`
    : sql`lower(s.driver_name) = ${text.toLowerCase()}`;
}

/** The WHERE conditions of a search, each answered by an index of its table. */
function conditions(f: SearchFilters, includeHidden: boolean): Prisma.Sql[] {
  const where: Prisma.Sql[] = [];
  if (!includeHidden) where.push(sql`s.hidden = false AND s.withdrawn_at IS NULL`);
  const card: Prisma.Sql[] = [];
  if (f.pci) {
    card.push(sql`c.vendor_id = ${f.pci.vendor} AND c.device_id = ${f.pci.device}`);
    if (f.pci.subVendor !== undefined) {
      card.push(
        sql`c.subsystem_vendor_id = ${f.pci.subVendor} AND c.subsystem_device_id = ${f.pci.subDevice}`,
      );
    }
  }
  if (f.chipset?.codeName !== undefined) card.push(sql`c.code_name = ${f.chipset.codeName}`);
  if (f.chipset?.id !== undefined) card.push(sql`c.chipset = ${f.chipset.id}`);
  if (f.family) card.push(sql`c.family = ANY(${familiesOf(f.family)})`);
  if (card.length > 0) {
    where.push(
      sql`EXISTS (SELECT 1 FROM trace_card c WHERE c.trace_id = t.id AND ${Prisma.join(card, " AND ")})`,
    );
  }
  if (f.driver) where.push(driverCondition(f.driver));
  if (f.kernel) {
    // The release as a word of the stored text ("Linux 6.1.0-13-amd64 #1 SMP ..." or "6.1.0-13-amd64"),
    // or a prefix of it that ends at a dot, dash or plus: kernel=6.1 finds 6.1.0-13-amd64.
    const release = f.kernel.replace(/[\\^$.|?*+()[\]{}-]/g, "\\$&");
    where.push(sql`s.kernel ~ ${`(^|\\s)${release}([-.+\\s]|$)`}`);
  }
  if (f.from) where.push(sql`t.created_at >= ${f.from}`);
  if (f.to) {
    // A bare date includes that whole day.
    const end = isMidnight(f.to) ? new Date(f.to.getTime() + 86_400_000) : f.to;
    where.push(sql`t.created_at < ${end}`);
  }
  if (f.valid !== undefined) where.push(sql`t.validation_ok = ${f.valid}`);
  if (f.lost !== undefined) where.push(f.lost ? sql`t.lost_events > 0` : sql`t.lost_events = 0`);
  if (f.register) {
    // A row stands for `span` bytes from its offset (1, or a 4 KiB page of a memory aperture such
    // as the framebuffer BAR): it matches when that range meets the searched one. Rows starting
    // inside the searched range are found by the (offset, bar) index over that range alone; rows
    // starting before it (pages, no span is larger than PAGE_SPAN) by the small partial index of
    // page rows. One condition over the range widened by a page instead read ~40 register rows
    // per trace to find one (a 0x001700 search's facet query in the API bench's database: 28-68 ms
    // before, 10-15 ms after, EXPLAIN ANALYZE on a loaded machine).
    const also: Prisma.Sql[] = [];
    if (f.bar !== undefined) also.push(sql`r.bar = ${f.bar}`);
    if (f.access === "r") also.push(sql`r.reads > 0`);
    if (f.access === "w") also.push(sql`r.writes > 0`);
    const inside = [
      sql`r.trace_id = t.id`,
      sql`r."offset" BETWEEN ${f.register.from} AND ${f.register.to}`,
      ...also,
    ];
    const before = [
      sql`r.trace_id = t.id`,
      sql`r.span > 1`,
      sql`r."offset" BETWEEN ${Math.max(0, f.register.from - (PAGE_SPAN - 1))} AND ${f.register.from - 1}`,
      sql`r."offset" + r.span > ${f.register.from}`,
      ...also,
    ];
    const exists = (parts: Prisma.Sql[]) =>
      sql`EXISTS (SELECT 1 FROM register_stat r WHERE ${Prisma.join(parts, " AND ")})`;
    where.push(f.register.from > 0 ? sql`(${exists(inside)} OR ${exists(before)})` : exists(inside));
  }
  if (f.marker) {
    where.push(
      sql`EXISTS (SELECT 1 FROM trace_marker m WHERE m.trace_id = t.id AND m.text ILIKE ${`%${likeEscape(f.marker)}%`})`,
    );
  }
  if (f.q) {
    // Same expression as the GIN index trace_search_text_fts_idx.
    where.push(sql`to_tsvector('simple', t.search_text) @@ websearch_to_tsquery('simple', ${f.q})`);
  }
  return where;
}

const ORDER: Record<SearchSort, { column: Prisma.Sql; desc: boolean; kind: "time" | "count" }> = {
  newest: { column: sql`t.created_at`, desc: true, kind: "time" },
  oldest: { column: sql`t.created_at`, desc: false, kind: "time" },
  most_events: { column: sql`t.event_count`, desc: true, kind: "count" },
  fewest_events: { column: sql`t.event_count`, desc: false, kind: "count" },
};

export function encodeCursor(sort: SearchSort, key: string, id: string): string {
  return Buffer.from(JSON.stringify([sort, key, id])).toString("base64url");
}

function decodeCursor(sort: SearchSort, cursor: string): Prisma.Sql {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    parsed = null;
  }
  const [s, key, id] = Array.isArray(parsed) ? parsed : [];
  const order = ORDER[sort];
  const keyOk =
    typeof key === "string" &&
    (order.kind === "time" ? !Number.isNaN(Date.parse(key)) : /^\d{1,19}$/.test(key));
  if (s !== sort || !keyOk || typeof id !== "string" || id.length > 64) {
    throw new AppError("CURSOR_INVALID", "cursor: not a cursor of this search (start again without it)");
  }
  const value = order.kind === "time" ? sql`${new Date(key)}::timestamptz` : sql`${BigInt(key)}::bigint`;
  return order.desc
    ? sql`(${order.column}, t.id) < (${value}, ${id})`
    : sql`(${order.column}, t.id) > (${value}, ${id})`;
}

interface HitRow {
  id: string;
  submission_id: string;
  member: string;
  description: string | null;
  kernel: string | null;
  driver_name: string | null;
  driver_version: string | null;
  created_at: Date;
  event_count: bigint;
  lost_events: bigint;
  validation_ok: boolean;
  /** the trace's cards in order (null when it has none) */
  cards: CardRow[] | null;
}

/** The columns of a hit's trace_card rows that it shows (the rows query's json_agg has them all). */
interface CardRow {
  card_index: number;
  vendor_id: number;
  device_id: number;
  subsystem_vendor_id: number | null;
  subsystem_device_id: number | null;
  pci_name: string | null;
  chipset: number | null;
  code_name: string | null;
  family: string | null;
  architecture: string | null;
  source: string;
}

const whereOf = (parts: Prisma.Sql[]) =>
  parts.length > 0 ? sql`WHERE ${Prisma.join(parts, " AND ")}` : sql``;

/**
 * Searches traces: one page of rows in the requested order (keyset pagination, so a deep page costs
 * what the first does), the total and facet counts for family, chipset and driver version over
 * everything that matches. Hidden and withdrawn submissions are left out unless `includeHidden`.
 */
export async function searchTraces(
  db: Db,
  filters: SearchFilters,
  options: SearchOptions = {},
): Promise<SearchResult> {
  const order = ORDER[filters.sort];
  const statements = searchStatements(filters, options);
  const rowsPromise = db.$queryRaw<HitRow[]>(statements.rows);
  const facetsPromise = options.withoutFacets ? Promise.resolve([]) : sharedFacets(db, statements.facets);
  const [rows, facetList] = await Promise.all([rowsPromise, facetsPromise]);

  const more = rows.length > filters.limit;
  const hits = more ? rows.slice(0, filters.limit) : rows;
  const traceUrl = options.traceUrl ?? ((id: string) => `/t/${id}`);
  const traces = hits.map(
    (h): TraceHit => ({
      id: h.id,
      submissionId: h.submission_id,
      member: h.member,
      description: h.description,
      kernel: h.kernel,
      driver: { name: h.driver_name, version: h.driver_version },
      createdAt: h.created_at.toISOString(),
      eventCount: Number(h.event_count),
      lostEvents: Number(h.lost_events),
      validationOk: h.validation_ok,
      cards: (h.cards ?? []).map((c) => ({
        cardIndex: c.card_index,
        pciId: `${hex4(c.vendor_id)}:${hex4(c.device_id)}`,
        subsystem:
          c.subsystem_vendor_id !== null && c.subsystem_device_id !== null
            ? `${hex4(c.subsystem_vendor_id)}:${hex4(c.subsystem_device_id)}`
            : null,
        pciName: c.pci_name,
        chipset: c.chipset === null ? null : `0x${c.chipset.toString(16)}`,
        codeName: c.code_name,
        family: c.family,
        architecture: c.architecture,
        source: c.source,
      })),
      url: traceUrl(h.id),
    }),
  );
  const last = hits[hits.length - 1];
  const next =
    more && last
      ? encodeCursor(
          filters.sort,
          order.kind === "time" ? last.created_at.toISOString() : String(last.event_count),
          last.id,
        )
      : null;

  const facets: SearchFacets = { family: [], chipset: [], driverVersion: [] };
  let total = 0;
  for (const f of facetList) {
    if (f.facet === "total") total = Number(f.n);
    else if (f.value !== null) facets[f.facet].push({ value: f.value, count: Number(f.n) });
  }
  for (const list of Object.values(facets)) {
    list.sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
    list.splice(FACET_SIZE);
  }
  if (options.withoutFacets) total = -1;
  return { total, traces, facets, next };
}

/**
 * Facet counts aggregate every match, the costly part of a search. Identical searches running at
 * the same moment (a busy home page) share one aggregation instead of each running its own; the
 * answer is as fresh as a query that started a few milliseconds earlier. Nothing is kept after.
 */
const inFlight = new WeakMap<Db, Map<string, Promise<FacetRow[]>>>();
function sharedFacets(db: Db, statement: Prisma.Sql): Promise<FacetRow[]> {
  let running = inFlight.get(db);
  if (!running) {
    running = new Map();
    inFlight.set(db, running);
  }
  const key = JSON.stringify([statement.text, statement.values]);
  const existing = running.get(key);
  if (existing) return existing;
  const promise = db.$queryRaw<FacetRow[]>(statement).finally(() => running.delete(key));
  running.set(key, promise);
  return promise;
}

interface FacetRow {
  facet: "total" | keyof SearchFacets;
  value: string | null;
  n: bigint;
}

/** The SQL of a search: one page of rows, and the total with facet counts (for EXPLAIN, too). */
export function searchStatements(
  filters: SearchFilters,
  options: Pick<SearchOptions, "includeHidden"> = {},
): { rows: Prisma.Sql; facets: Prisma.Sql } {
  const base = conditions(filters, options.includeHidden ?? false);
  const order = ORDER[filters.sort];
  const page = filters.cursor ? [...base, decodeCursor(filters.sort, filters.cursor)] : base;
  const direction = order.desc ? sql`DESC` : sql`ASC`;
  const rows = sql`
    SELECT t.id, t.submission_id, t.member, s.description, s.kernel, s.driver_name, s.driver_version,
           t.created_at, t.event_count, t.lost_events, t.validation_ok,
           (SELECT json_agg(c ORDER BY c.card_index) FROM trace_card c WHERE c.trace_id = t.id) AS cards
    FROM trace t JOIN submission s ON s.id = t.submission_id
    ${whereOf(page)}
    ORDER BY ${order.column} ${direction}, t.id ${direction}
    LIMIT ${filters.limit + 1}`;
  return { rows, facets: facetStatement(base) };
}

function facetStatement(where: Prisma.Sql[]): Prisma.Sql {
  return sql`
    WITH hits AS MATERIALIZED (
      SELECT t.id, s.driver_version FROM trace t JOIN submission s ON s.id = t.submission_id ${whereOf(where)}
    ),
    chips AS (
      SELECT DISTINCT h.id, c.family, COALESCE(c.code_name, '0x' || to_hex(c.chipset)) AS chip
      FROM hits h JOIN trace_card c ON c.trace_id = h.id
      WHERE c.chipset IS NOT NULL OR c.family IS NOT NULL
    )
    SELECT 'total' AS facet, NULL AS value, count(*) AS n FROM hits
    UNION ALL SELECT 'family', family, count(DISTINCT id) FROM chips WHERE family IS NOT NULL GROUP BY family
    UNION ALL SELECT 'chipset', chip, count(DISTINCT id) FROM chips WHERE chip IS NOT NULL GROUP BY chip
    UNION ALL SELECT 'driverVersion', driver_version, count(*) FROM hits
      WHERE driver_version IS NOT NULL GROUP BY driver_version`;
}
