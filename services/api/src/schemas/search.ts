import { z } from "zod";
import { NO_NUL } from "./submission";

/**
 * GET /api/v1/traces query. Every filter is a plain query parameter so a search is a URL that can
 * be shared as it is; `canonicalQuery` writes the same URL back from parsed filters.
 */
const hexOrDec = (text: string) => (/^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text, 16) : Number(text));
const hex16 = /^[0-9a-f]{4}$/i;

export const SORTS = ["newest", "oldest", "most_events", "fewest_events"] as const;
export type SearchSort = (typeof SORTS)[number];

const pciFilter = z
  .string()
  .trim()
  .transform((text, ctx): { vendor: number; device: number; subVendor?: number; subDevice?: number } => {
    const parts = text.split(":");
    if ((parts.length !== 2 && parts.length !== 4) || !parts.every((p) => hex16.test(p))) {
      ctx.addIssue({
        code: "custom",
        message: "must be vendor:device or vendor:device:subvendor:subdevice in hex, e.g. 10de:0fc6",
      });
      return z.NEVER;
    }
    const [vendor, device, subVendor, subDevice] = parts.map((p) => Number.parseInt(p, 16));
    return {
      vendor: vendor as number,
      device: device as number,
      ...(subVendor !== undefined && subDevice !== undefined ? { subVendor, subDevice } : {}),
    };
  });

const chipsetFilter = z
  .string()
  .trim()
  .min(1)
  .max(20)
  .transform((text, ctx): { id?: number; codeName?: string } => {
    if (/^0x[0-9a-f]{1,3}$/i.test(text)) return { id: Number.parseInt(text, 16) };
    if (/^[a-z][a-z0-9]{1,15}$/i.test(text)) return { codeName: text.toUpperCase() };
    ctx.addIssue({ code: "custom", message: "must be a code name such as GK107 or a hex id such as 0xe7" });
    return z.NEVER;
  });

const registerFilter = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const m = /^(0x[0-9a-f]{1,8}|\d{1,10})(?:(?:-|\.\.)(0x[0-9a-f]{1,8}|\d{1,10}))?$/i.exec(text);
    if (!m) {
      ctx.addIssue({
        code: "custom",
        message: "must be a BAR offset such as 0x001700 or a range such as 0x001700-0x0017ff",
      });
      return z.NEVER;
    }
    const from = hexOrDec(m[1] as string);
    const to = m[2] === undefined ? from : hexOrDec(m[2]);
    if (to < from) {
      ctx.addIssue({ code: "custom", message: "range end is below its start" });
      return z.NEVER;
    }
    return { from, to };
  });

const yesNo = z.enum(["yes", "no", "true", "false"]).transform((v) => v === "yes" || v === "true");

const date = z
  .string()
  .trim()
  .refine(
    (v) => /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) && !Number.isNaN(Date.parse(v)),
    {
      message: "must be a date such as 2026-11-26 or an ISO timestamp",
    },
  )
  .transform((v) => new Date(v));

/** A text filter: trimmed, not empty, at most `max` characters, no NUL. */
const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine(...NO_NUL)
    .optional();

export const searchQuery = z.object({
  q: text(200).describe("Free text over descriptions and marker texts"),
  pci: pciFilter
    .optional()
    .describe("PCI id of a card in the trace: vendor:device, optionally :subvendor:subdevice"),
  chipset: chipsetFilter.optional().describe("Code name (GK107) or chipset id (0xe7)"),
  family: text(40).describe("Nouveau family (NVE0) or architecture (Kepler)"),
  driver: text(100).describe("Driver name (nvidia, nouveau), version (550.54.14) or name/version"),
  kernel: text(100).describe("Kernel release (6.1.0-13-amd64) or a prefix ending at a dot or dash (6.1)"),
  from: date.optional().describe("Uploaded on or after (date or ISO timestamp)"),
  to: date.optional().describe("Uploaded before (date: the whole day is included)"),
  valid: yesNo.optional().describe("Validation passed (yes) or found problems (no)"),
  lost: yesNo.optional().describe("The kernel reported lost events (yes) or not (no)"),
  register: registerFilter.optional().describe("BAR offset touched, or a range: 0x001700, 0x1700-0x17ff"),
  access: z.enum(["r", "w"]).optional().describe("With register: read (r) or written (w)"),
  bar: z.coerce.number().int().min(0).max(5).optional().describe("With register: BAR number"),
  marker: text(200).describe("Text in a marker (substring)"),
  sort: z.enum(SORTS).default("newest"),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(400).optional().describe("The `next` cursor of the previous page"),
});
export type SearchQueryInput = z.input<typeof searchQuery>;
export type SearchFilters = z.infer<typeof searchQuery>;

const hex4 = (n: number) => n.toString(16).padStart(4, "0");
const isoDay = (d: Date) =>
  d.getUTCHours() + d.getUTCMinutes() + d.getUTCSeconds() + d.getUTCMilliseconds() === 0
    ? d.toISOString().slice(0, 10)
    : d.toISOString();

/**
 * The query string of a search, in a fixed order, without defaults: equal searches give equal
 * URLs. `cursor` is left out unless asked for (pass `{ cursor }`).
 */
export function canonicalQuery(filters: SearchFilters, extra: { cursor?: string } = {}): string {
  const p = new URLSearchParams();
  if (filters.q) p.set("q", filters.q);
  if (filters.pci) {
    const { vendor, device, subVendor, subDevice } = filters.pci;
    p.set(
      "pci",
      [vendor, device, ...(subVendor !== undefined ? [subVendor, subDevice ?? 0] : [])].map(hex4).join(":"),
    );
  }
  if (filters.chipset)
    p.set("chipset", filters.chipset.codeName ?? `0x${(filters.chipset.id ?? 0).toString(16)}`);
  if (filters.family) p.set("family", filters.family);
  if (filters.driver) p.set("driver", filters.driver);
  if (filters.kernel) p.set("kernel", filters.kernel);
  if (filters.from) p.set("from", isoDay(filters.from));
  if (filters.to) p.set("to", isoDay(filters.to));
  if (filters.valid !== undefined) p.set("valid", filters.valid ? "yes" : "no");
  if (filters.lost !== undefined) p.set("lost", filters.lost ? "yes" : "no");
  if (filters.register) {
    const { from, to } = filters.register;
    const h = (n: number) => `0x${n.toString(16).padStart(6, "0")}`;
    p.set("register", from === to ? h(from) : `${h(from)}-${h(to)}`);
  }
  if (filters.access) p.set("access", filters.access);
  if (filters.bar !== undefined) p.set("bar", String(filters.bar));
  if (filters.marker) p.set("marker", filters.marker);
  if (filters.sort !== "newest") p.set("sort", filters.sort);
  if (filters.limit !== 25) p.set("limit", String(filters.limit));
  if (extra.cursor) p.set("cursor", extra.cursor);
  return p.toString();
}

const card = z.object({
  cardIndex: z.number(),
  pciId: z.string().describe("vendor:device"),
  subsystem: z.string().nullable().describe("subvendor:subdevice when known"),
  pciName: z.string().nullable(),
  chipset: z.string().nullable().describe("hex id such as 0xe7"),
  codeName: z.string().nullable(),
  family: z.string().nullable(),
  architecture: z.string().nullable(),
  source: z.string().describe("boot0 / boot42 (from the trace) or uploader (claimed)"),
});

export const traceHit = z.object({
  id: z.string(),
  submissionId: z.string(),
  member: z.string(),
  description: z.string().nullable(),
  kernel: z.string().nullable(),
  driver: z.object({ name: z.string().nullable(), version: z.string().nullable() }),
  createdAt: z.string(),
  eventCount: z.number(),
  lostEvents: z.number(),
  validationOk: z.boolean(),
  cards: z.array(card),
  url: z.string(),
});
export type TraceHit = z.infer<typeof traceHit>;

const facetCount = z.object({ value: z.string(), count: z.number() });
export const searchFacets = z.object({
  family: z.array(facetCount),
  chipset: z.array(facetCount),
  driverVersion: z.array(facetCount),
});
export type SearchFacets = z.infer<typeof searchFacets>;

export const searchResponse = z.object({
  total: z.number().describe("Traces matching the filters (all pages)"),
  traces: z.array(traceHit),
  facets: searchFacets,
  next: z.string().nullable().describe("Cursor of the next page, null on the last page"),
  links: z.object({ self: z.string(), next: z.string().nullable() }),
});
