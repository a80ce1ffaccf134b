import { createParser, type TraceBatch } from "@mmiohub/trace";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi } from "./helpers";
import { generatedTrace, type StoredTrace, sample, storeTrace } from "./web-fixtures";

type Api = Awaited<ReturnType<typeof startApi>>;
interface EventsAnswer {
  from: number;
  to: number;
  rnndbVersion: string | null;
  next: number | null;
  events: {
    n: number;
    kind: string;
    line: string;
    offset: string | null;
    access: string | null;
    bar: number | null;
    time: string | null;
    annotated: string[];
  }[];
}

let api: Api;
let hand: StoredTrace;
let big: StoredTrace;
let bigStored: StoredTrace;
/** the same again, with checkpoints 65536 events apart: pages far from one cache their state */
let sparse: StoredTrace;

const get = async (url: string) => {
  const res = await api.app.inject({ method: "GET", url });
  return { res, json: () => res.json() as EventsAnswer };
};

beforeAll(async () => {
  api = await startApi();
  hand = await storeTrace(api, sample("gk107_hand.mmiotrace"));
  const text = generatedTrace(30_000);
  big = await storeTrace(api, text, { exact: true });
  // The same trace again with an event store: both sources must give the same answers.
  bigStored = await storeTrace(api, `${text}MARK 200.000000 end\n`, { eventStore: true, exact: true });
  sparse = await storeTrace(api, `${text}MARK 201.000000 end\n`, {
    eventStore: true,
    exact: true,
    checkpointInterval: 65536,
  });
});
afterAll(async () => {
  await api?.close();
});

describe("GET /api/v1/traces/:id/events", () => {
  it("annotates each event as demmio does, with the register database version", async () => {
    const { res, json } = await get(`/api/v1/traces/${hand.traceId}/events?limit=5000`);
    expect(res.statusCode).toBe(200);
    const body = json();
    expect(body.rnndbVersion).toMatch(/^[0-9a-f]{8,}$/);
    const annotated = body.events.flatMap((e) => (e.annotated.length ? e.annotated : [e.line]));
    const demmio = sample("gk107_hand.demmio.txt").trimEnd().split("\n");
    // Every line demmio prints for the sample's accesses appears, in the same order.
    const pmc = annotated.find((l) => l.includes("0x000000 0x0e7150a2"));
    expect(pmc).toBe(demmio.find((l) => l.includes("0x000000 0x0e7150a2")));
    const mem = demmio.filter((l) => l.includes("MEM32"));
    expect(mem.length).toBe(2);
    for (const l of mem) expect(annotated).toContain(l);
    expect(body.events[0]).toMatchObject({ n: 0, kind: "VERSION", line: "VERSION 20070824" });
    expect(body.events.length).toBe(hand.summary.events);
    expect(body.next).toBeNull();
  });

  it("serves a range, pages with next, and gives the same rows from the event store", async () => {
    const from = 20_000;
    const a = (
      await get(`/api/v1/traces/${big.traceId}/events?from=${from}&to=${from + 999}&limit=400`)
    ).json();
    expect(a.events.map((e) => e.n)).toEqual(Array.from({ length: 400 }, (_, i) => from + i));
    expect(a.next).toBe(from + 400);
    const b = (
      await get(`/api/v1/traces/${bigStored.traceId}/events?from=${from}&to=${from + 999}&limit=400`)
    ).json();
    expect(b.events).toEqual(a.events);
    const url = (t: StoredTrace, f: number) =>
      `/api/v1/traces/${t.traceId}/events?from=${f}&to=${from + 999}`;
    const nextText = (await get(url(big, b.next!))).json();
    const nextStored = (await get(url(bigStored, b.next!))).json();
    expect(nextStored.events.map((e) => e.n)[0]).toBe(from + 400);
    expect(nextStored.events).toEqual(nextText.events);
    const back = (await get(url(bigStored, from + 100))).json();
    expect(back.events).toEqual((await get(url(big, from + 100))).json().events);
    // 20,000 events past the only checkpoint: the page keeps the annotator state where it started
    // and where it ended; the next page, and the same link again, resume from those.
    const first = (await get(`${url(sparse, from)}&limit=400`)).json();
    expect(first.events).toEqual(a.events);
    expect((await get(url(sparse, first.next!))).json().events).toEqual(nextText.events);
    expect((await get(`${url(sparse, from)}&limit=400`)).json().events).toEqual(a.events);
    const lines = big.text.split("\n");
    expect(a.events[0]!.line).toBe(lines[from]);
    // The PRAMIN window's base (0x001700) set long before the range decides these lines.
    expect(a.events.some((e) => e.annotated.some((l) => / MEM32 [0-9a-f]+ /.test(l)))).toBe(true);
  });

  it("filters by register offset, range, name, access and BAR", async () => {
    const base = `/api/v1/traces/${big.traceId}/events?from=10000&to=10999&limit=5000`;
    const byOffset = (await get(`${base}&register=0x001700`)).json();
    expect(byOffset.events.length).toBeGreaterThan(100);
    expect(new Set(byOffset.events.map((e) => e.offset))).toEqual(new Set(["0x001700"]));
    expect(byOffset.events.every((e) => e.annotated[0]?.includes("PBUS.HOST_MEM.PMEM"))).toBe(true);
    const byName = (await get(`${base}&register=PBUS.HOST_MEM.PMEM`)).json();
    expect(byName.events.map((e) => e.n)).toEqual(byOffset.events.map((e) => e.n));
    const writes = (await get(`${base}&register=0x001700&access=w`)).json();
    expect(writes.events.length).toBeGreaterThan(0);
    expect(writes.events.every((e) => e.access === "W")).toBe(true);
    expect(writes.events.length).toBeLessThan(byOffset.events.length);
    const range = (await get(`${base}&register=0x000200-0x001700`)).json();
    expect(new Set(range.events.map((e) => e.offset))).toEqual(new Set(["0x000200", "0x001700"]));
    const bar1 = (await get(`${base}&bar=1`)).json();
    expect(bar1.events).toEqual([]);
  });

  it("selects by time range and by marker phase", async () => {
    const markers = big.summary.markers;
    const m2 = markers[2]!;
    const m3 = markers[3]!;
    const phase = (await get(`/api/v1/traces/${big.traceId}/events?phase=2&limit=5000&annotate=0`)).json();
    expect(phase.from).toBe(m2.eventIndex);
    expect(phase.to).toBe(m3.eventIndex - 1);
    expect(phase.events[0]).toMatchObject({
      kind: "MARK",
      line: `MARK ${m2.sec}.${String(m2.usec).padStart(6, "0")} ${m2.text}`,
    });
    // The phase is longer than a page: it goes on where the page stopped.
    expect(phase.events.length).toBe(5000);
    expect(phase.next).toBe(m2.eventIndex + 5000);
    const rest = (
      await get(`/api/v1/traces/${big.traceId}/events?phase=2&from=${phase.next}&annotate=0`)
    ).json();
    expect(rest.events.at(-1)!.n).toBe(m3.eventIndex - 1);
    const t0 = phase.events[10]!.time!;
    const t1 = phase.events[20]!.time!;
    const timed = (
      await get(`/api/v1/traces/${big.traceId}/events?time_from=${t0}&time_to=${t1}&annotate=0`)
    ).json();
    expect(timed.events.map((e) => e.n)).toEqual(phase.events.slice(10, 21).map((e) => e.n));
    // From the event store the window starts at its time index: the same events.
    const stored = (
      await get(`/api/v1/traces/${bigStored.traceId}/events?time_from=${t0}&time_to=${t1}&annotate=0`)
    ).json();
    expect(stored.events).toEqual(timed.events);
  });

  it("answers 404 for unknown traces and markers, 400 naming the bad parameter", async () => {
    expect((await get("/api/v1/traces/nope/events")).res.statusCode).toBe(404);
    expect((await get(`/api/v1/traces/${big.traceId}/events?phase=999`)).res.statusCode).toBe(404);
    const bad = (await get(`/api/v1/traces/${big.traceId}/events?register=%3Cb%3E`)).res;
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/^register:/);
    const backwards = (await get(`/api/v1/traces/${big.traceId}/events?from=10&to=5`)).res;
    expect(backwards.statusCode).toBe(400);
    const time = (await get(`/api/v1/traces/${big.traceId}/events?time_from=yesterday`)).res;
    expect(time.json().error.message).toMatch(/^time_from/);
  });
});

describe("downloads", () => {
  it("serves the archive as uploaded", async () => {
    const res = await api.app.inject({ method: "GET", url: `/api/v1/traces/${hand.traceId}/archive` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(hand.text);
    expect(res.headers["content-disposition"]).toMatch(/^attachment; filename="trace.mmiotrace"/);
  });

  it("serves any range as a kernel-format log that parses on its own", async () => {
    for (const trace of [big, bigStored]) {
      const res = await api.app.inject({
        method: "GET",
        url: `/api/v1/traces/${trace.traceId}/log?from=15000&to=15099`,
      });
      expect(res.statusCode).toBe(200);
      const batches: TraceBatch[] = [];
      const errors: unknown[] = [];
      const parser = createParser({ onBatch: (b) => batches.push(b), onError: (e) => errors.push(e) });
      parser.feed(Buffer.from(res.body));
      const summary = parser.end();
      expect(errors).toEqual([]);
      expect(summary.report.issues.map((i) => i.code)).toEqual([]);
      const lines = res.body.trimEnd().split("\n");
      // VERSION, both PCIDEV lines and the live MAP, then exactly the 100 events.
      expect(lines.slice(0, 4).map((l) => l.split(" ")[0])).toEqual(["VERSION", "PCIDEV", "PCIDEV", "MAP"]);
      expect(lines.slice(4)).toEqual(trace.text.split("\n").slice(15000, 15100));
      expect(summary.cards[0]?.codeName ?? null).toBeNull(); // no BOOT_0 read in the range: honest
    }
  });

  it("serves a range as demmio text equal to that part of the whole annotation", async () => {
    const whole = await api.app.inject({ method: "GET", url: `/api/v1/traces/${hand.traceId}/annotated` });
    expect(whole.statusCode).toBe(200);
    const demmio = sample("gk107_hand.demmio.txt");
    expect(whole.body.split("\n").filter((l) => l.includes("PMC.ENABLE"))).toEqual(
      demmio.split("\n").filter((l) => l.includes("PMC.ENABLE")),
    );
    const full = (
      await api.app.inject({ method: "GET", url: `/api/v1/traces/${big.traceId}/annotated?from=0&to=12099` })
    ).body;
    const part = await api.app.inject({
      method: "GET",
      url: `/api/v1/traces/${bigStored.traceId}/annotated?from=12000&to=12099`,
    });
    expect(part.headers["x-rnndb-version"]).toMatch(/^[0-9a-f]+$/);
    const tail = full.trimEnd().split("\n").slice(-part.body.trimEnd().split("\n").length);
    expect(part.body.trimEnd().split("\n")).toEqual(tail);
  });
});
