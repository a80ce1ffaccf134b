import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { searchQuery } from "../src/schemas/search";
import { busiestRegisters } from "../src/services/pages-trace";
import { searchTraces } from "../src/services/search";
import { startApi } from "./helpers";
import { GK107, GT215, seedTrace, TU117 } from "./seed";

// Search over rows written straight into the real database. Other test files share the database,
// so every query carries this file's own word (`q=<tag>`) and sees only the traces seeded here.
let api: Awaited<ReturnType<typeof startApi>>;
const tag = `tag${Math.random().toString(36).slice(2, 10)}`;
const ids: Record<string, string> = {};

beforeAll(async () => {
  api = await startApi();
  const day = (d: string) => new Date(`${d}T12:00:00Z`);
  const seeds = {
    gk107a: {
      description: `${tag} GK107 glxgears modeset`,
      kernel: "6.1.0-13-amd64",
      driverName: "nvidia",
      driverVersion: "550.54.14",
      createdAt: day("2026-10-01"),
      eventCount: 500,
      cards: [{ ...GK107, subsystem: [0x1043, 0x8431] as [number, number] }],
      markers: ["insmod nvidia", "start glxgears"],
      registers: [
        { offset: 0x001700, reads: 3, writes: 0 },
        { offset: 0x610000, reads: 1, writes: 2 },
      ],
    },
    gk107b: {
      description: `${tag} GK107 suspend resume`,
      // As the capture agent sends it (uname -srvmo) and ingest stores it.
      kernel: "Linux 6.12.5-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.12.5-1 (2024-12-19) x86_64 GNU/Linux",
      driverName: "nvidia",
      driverVersion: "535.183.01",
      createdAt: day("2026-10-05"),
      eventCount: 2000,
      lostEvents: 12,
      validationOk: false,
      cards: [{ ...GK107, subsystem: [0x1462, 0x2834] as [number, number] }],
      markers: ["suspend", "resume"],
      registers: [{ offset: 0x001700, reads: 0, writes: 5 }],
    },
    gt215: {
      description: `${tag} GT215 i2c probing`,
      kernel: "6.1.0-13-amd64",
      driverName: "nvidia",
      driverVersion: "340.108",
      createdAt: day("2026-10-10"),
      eventCount: 50,
      cards: [GT215],
      markers: ["i2c scan <script>alert(1)</script>"],
      registers: [{ offset: 0x00e100, bar: 0, reads: 4 }],
    },
    tu117: {
      description: `${tag} TU117 vbios`,
      kernel: "6.12.5-amd64",
      driverName: "Nouveau",
      createdAt: day("2026-10-20"),
      eventCount: 8000,
      cards: [TU117],
      registers: [
        { offset: 0x001704, bar: 1, writes: 1 },
        // a framebuffer page, as ingest counts BAR1
        { offset: 0x200000, bar: 1, span: 4096, writes: 300 },
      ],
    },
    hidden: {
      description: `${tag} GK107 hidden`,
      hidden: true,
      createdAt: day("2026-10-21"),
      cards: [GK107],
    },
    withdrawn: {
      description: `${tag} GK107 withdrawn`,
      withdrawn: true,
      createdAt: day("2026-10-22"),
      cards: [GK107],
    },
  };
  for (const [name, seed] of Object.entries(seeds)) ids[name] = (await seedTrace(api.prisma, seed)).traceId;
});
afterAll(async () => api?.close());

async function search(query: string) {
  const q = query.startsWith("q=") ? query : `q=${tag}&${query}`;
  const res = await api.app.inject({ method: "GET", url: `/api/v1/traces?${q}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as {
    total: number;
    traces: { id: string; cards: { codeName: string }[]; url: string }[];
    facets: Record<string, { value: string; count: number }[]>;
    next: string | null;
    links: { self: string; next: string | null };
  };
}
const named = (traces: { id: string }[]) =>
  traces.map((t) => Object.entries(ids).find(([, id]) => id === t.id)?.[0] ?? t.id);

describe("GET /api/v1/traces filters", () => {
  const cases: [string, string[]][] = [
    ["", ["tu117", "gt215", "gk107b", "gk107a"]],
    ["pci=10de:0fc6", ["gk107b", "gk107a"]],
    ["pci=10de:0fc6:1043:8431", ["gk107a"]],
    ["pci=10DE:0CA3", ["gt215"]],
    ["chipset=gk107", ["gk107b", "gk107a"]],
    ["chipset=0xe7", ["gk107b", "gk107a"]],
    ["chipset=0x167", ["tu117"]],
    ["family=NVE0", ["gk107b", "gk107a"]],
    ["family=tesla", ["gt215"]],
    ["family=turing", ["tu117"]],
    ["driver=nouveau", ["tu117"]],
    ["driver=550.54.14", ["gk107a"]],
    ["driver=nvidia/340.108", ["gt215"]],
    ["kernel=6.1.0-13-amd64", ["gt215", "gk107a"]],
    ["kernel=6.1", ["gt215", "gk107a"]],
    ["kernel=6.12", ["tu117", "gk107b"]],
    ["kernel=6", ["tu117", "gt215", "gk107b", "gk107a"]],
    ["kernel=6.12.5-amd64", ["tu117", "gk107b"]],
    ["kernel=6.1.0", ["gt215", "gk107a"]],
    ["kernel=6.1.0-13-amd64.x", []],
    ["kernel=amd64", []],
    ["from=2026-10-05&to=2026-10-10", ["gt215", "gk107b"]],
    ["to=2026-10-04", ["gk107a"]],
    ["valid=no", ["gk107b"]],
    ["valid=yes", ["tu117", "gt215", "gk107a"]],
    ["lost=yes", ["gk107b"]],
    ["lost=no", ["tu117", "gt215", "gk107a"]],
    ["register=0x001700", ["gk107b", "gk107a"]],
    ["register=0x001700&access=r", ["gk107a"]],
    ["register=0x001700&access=w", ["gk107b"]],
    ["register=0x001700-0x0017ff", ["tu117", "gk107b", "gk107a"]],
    ["register=0x1700..0x17ff&bar=1", ["tu117"]],
    ["register=0x610000&access=w", ["gk107a"]],
    // inside the BAR1 page row [0x200000, 0x201000), at its start and its last byte; not past it
    ["register=0x200abc&bar=1", ["tu117"]],
    ["register=0x200000", ["tu117"]],
    ["register=0x200fff", ["tu117"]],
    ["register=0x201000", []],
    ["register=0x1ff000-0x1fffff", []],
    ["register=0x1ff000-0x200000", ["tu117"]],
    // an exact register row is not widened: 0x1704 is not found from 0x1705
    ["register=0x1705-0x1710", []],
    ["marker=glxgears", ["gk107a"]],
    ["marker=SUSP", ["gk107b"]],
    ["marker=%3Cscript%3E", ["gt215"]],
    ["marker=100%25", []],
    [`q=${tag}+resume`, ["gk107b"]],
    [`q=${tag}+i2c`, ["gt215"]],
    ["chipset=GK107&valid=yes&register=0x001700&access=r&driver=nvidia", ["gk107a"]],
    ["sort=oldest", ["gk107a", "gk107b", "gt215", "tu117"]],
    ["sort=most_events", ["tu117", "gk107b", "gk107a", "gt215"]],
    ["sort=fewest_events", ["gt215", "gk107a", "gk107b", "tu117"]],
  ];
  for (const [query, expected] of cases) {
    it(`${query || "(no filter)"} -> ${expected.join(", ") || "nothing"}`, async () => {
      const body = await search(query);
      expect(named(body.traces)).toEqual(expected);
      expect(body.total).toBe(expected.length);
    });
  }

  it("never lists hidden or withdrawn submissions", async () => {
    const body = await search("chipset=GK107");
    expect(body.traces.map((t) => t.id)).not.toContain(ids.hidden);
    expect(body.traces.map((t) => t.id)).not.toContain(ids.withdrawn);
    const all = await searchTraces(api.prisma, searchQuery.parse({ q: tag, chipset: "GK107" }), {
      includeHidden: true,
    });
    expect(all.traces.map((t) => t.id).sort()).toEqual(
      [ids.gk107a, ids.gk107b, ids.hidden, ids.withdrawn].sort(),
    );
  });

  it("answers a bad filter with 400 naming the parameter", async () => {
    for (const [query, field] of [
      ["pci=nvidia", "pci"],
      ["register=BAR0", "register"],
      ["register=0x2000-0x1000", "register"],
      ["from=yesterday", "from"],
      ["lost=maybe", "lost"],
      ["sort=random", "sort"],
      ["limit=1000", "limit"],
    ]) {
      const res = await api.app.inject({ method: "GET", url: `/api/v1/traces?${query}` });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error.message, query).toMatch(new RegExp(`^${field}: `));
    }
    const bad = await api.app.inject({ method: "GET", url: "/api/v1/traces?cursor=bm9wZQ" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/cursor/);
  });
});

describe("GET /api/v1/traces facets, pages and links", () => {
  it("counts families, chipsets and driver versions over every match", async () => {
    const body = await search("");
    expect(body.facets.family).toEqual([
      { value: "NVE0", count: 2 },
      { value: "NV50", count: 1 },
      { value: "TU100", count: 1 },
    ]);
    expect(body.facets.chipset).toEqual([
      { value: "GK107", count: 2 },
      { value: "GT215", count: 1 },
      { value: "TU117", count: 1 },
    ]);
    expect(body.facets.driverVersion).toEqual([
      { value: "340.108", count: 1 },
      { value: "535.183.01", count: 1 },
      { value: "550.54.14", count: 1 },
    ]);
    const narrowed = await search("kernel=6.1");
    expect(narrowed.facets.chipset).toEqual([
      { value: "GK107", count: 1 },
      { value: "GT215", count: 1 },
    ]);
  });

  it("shows each hit's cards in order, whatever the sort, and a trace without a card with none", async () => {
    const own = `tag${Math.random().toString(36).slice(2, 10)}`;
    const dual = await seedTrace(api.prisma, {
      description: `${own} two cards`,
      eventCount: 10,
      // The second card as only the uploader named it: no chipset from the trace.
      cards: [
        { ...GK107, subsystem: [0x1043, 0x8431] },
        { vendorId: 0x10de, deviceId: 0x1f82 },
      ],
    });
    const bare = await seedTrace(api.prisma, { description: `${own} no card`, eventCount: 20 });
    const expected = {
      [dual.traceId]: [
        {
          cardIndex: 0,
          pciId: "10de:0fc6",
          subsystem: "1043:8431",
          pciName: null,
          chipset: "0xe7",
          codeName: "GK107",
          family: "NVE0",
          architecture: "Kepler",
          source: "boot0",
        },
        {
          cardIndex: 1,
          pciId: "10de:1f82",
          subsystem: null,
          pciName: null,
          chipset: null,
          codeName: null,
          family: null,
          architecture: null,
          source: "uploader",
        },
      ],
      [bare.traceId]: [],
    };
    for (const sort of ["newest", "most_events", "fewest_events"]) {
      const res = await search(`q=${own}&sort=${sort}`);
      expect(res.traces).toHaveLength(2);
      for (const t of res.traces) expect(t.cards, `${sort}: ${t.id}`).toEqual(expected[t.id]);
    }
  });

  it("pages with a cursor through every match exactly once, in order, for each sort", async () => {
    for (const [sort, expected] of [
      ["newest", ["tu117", "gt215", "gk107b", "gk107a"]],
      ["most_events", ["tu117", "gk107b", "gk107a", "gt215"]],
    ] as const) {
      const seen: string[] = [];
      let url = `/api/v1/traces?q=${tag}&sort=${sort}&limit=1`;
      for (let i = 0; i < 10; i++) {
        const res = await api.app.inject({ method: "GET", url });
        const body = res.json();
        expect(body.total).toBe(4);
        seen.push(...named(body.traces));
        if (!body.next) break;
        expect(body.links.next).toContain(`cursor=${body.next}`);
        url = body.links.next.replace(api.config.PUBLIC_URL, "");
      }
      expect(seen).toEqual(expected);
    }
  });

  it("gives each search one canonical, shareable URL that answers the same", async () => {
    const body = await search("chipset=gk107&register=0x1700&lost=no&sort=oldest");
    expect(body.links.self).toBe(
      `${api.config.PUBLIC_URL}/api/v1/traces?q=${tag}&chipset=GK107&lost=no&register=0x001700&sort=oldest`,
    );
    const again = await api.app.inject({
      method: "GET",
      url: body.links.self.replace(api.config.PUBLIC_URL, ""),
    });
    expect(named(again.json().traces)).toEqual(["gk107a"]);
    expect(body.traces[0]?.url).toBe(`${api.config.PUBLIC_URL}/t/${ids.gk107a}`);
  });
});

describe("busiest registers of a trace", () => {
  it("lists registers, not the pages of a memory aperture", async () => {
    const rows = await busiestRegisters(api.prisma, ids.tu117!);
    expect(rows.map((r) => [r.bar, r.offset])).toEqual([[1, 0x001704]]);
  });
});
