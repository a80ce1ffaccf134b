import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { searchQuery } from "../src/schemas/search";
import { ChangeFeed, ReadCache } from "../src/services/change-feed";
import { startApi, waitFor } from "./helpers";
import { GK107, seedTrace } from "./seed";

// The read caches with the real database's change notifications (LISTEN/NOTIFY from triggers):
// answers are reused while nothing changes and forgotten when anything does, whoever changed it.
let api: Awaited<ReturnType<typeof startApi>>;
const tag = `cache${Math.random().toString(36).slice(2, 10)}`;
const filters = searchQuery.parse({ q: tag });

beforeAll(async () => {
  api = await startApi({}, { readCache: 100 });
  await waitFor(async () => api.app.reads.feed?.listening || undefined, 10_000, "change feed");
});
afterAll(async () => api?.close());

const hits = async () => {
  const res = await api.app.inject({ method: "GET", url: `/api/v1/traces?q=${tag}` });
  expect(res.statusCode).toBe(200);
  return res.json().total as number;
};

describe("read caches", () => {
  it("reuse a search answer until a row changes, whoever changes it", async () => {
    const first = await seedTrace(api.prisma, { description: `${tag} one`, cards: [GK107] });
    await waitFor(async () => ((await hits()) === 1 ? true : undefined), 10_000, "first trace");
    const a = await api.app.reads.searchTraces(filters);
    expect(await api.app.reads.searchTraces(filters)).toBe(a);

    // A row written by another process (here: another connection, as the worker does).
    const other = new pg.Client({ connectionString: api.config.DATABASE_URL });
    await other.connect();
    try {
      await seedTrace(api.prisma, { description: `${tag} two`, cards: [GK107] });
      await waitFor(async () => ((await hits()) === 2 ? true : undefined), 10_000, "second trace");
      expect(await api.app.reads.searchTraces(filters)).not.toBe(a);
      await other.query("UPDATE submission SET hidden = true WHERE id = $1", [first.submissionId]);
      await waitFor(async () => ((await hits()) === 1 ? true : undefined), 10_000, "hidden trace gone");
    } finally {
      await other.end();
    }
  });

  it("forget at once what this instance changed: a withdrawn trace is 410 on the next request", async () => {
    const t = await seedTrace(api.prisma, { description: `${tag} withdrawn soon`, cards: [GK107] });
    const page = `/t/${t.traceId}`;
    await waitFor(
      async () =>
        (await api.app.inject({ method: "GET", url: page })).statusCode === 200 ? true : undefined,
      10_000,
      "trace page",
    );
    const maintainer = await import("../src/services/auth-tokens").then((m) =>
      m.createApiToken(api.prisma, { name: "cache test", role: "maintainer" }),
    );
    const res = await api.app.inject({
      method: "POST",
      url: `/api/v1/submissions/${t.submissionId}/withdraw`,
      headers: { authorization: `Bearer ${maintainer.token}` },
    });
    expect(res.statusCode).toBe(200);
    expect((await api.app.inject({ method: "GET", url: page })).statusCode).toBe(410);
    expect(
      (await api.app.inject({ method: "GET", url: `/api/v1/traces/${t.traceId}/events` })).statusCode,
    ).toBe(410);
  });

  it("cache nothing while the notifications are cut off, and resume when they are back", async () => {
    // A feed of its own with a slow reconnect, so the time without notifications is long enough to look at.
    const feed = new ChangeFeed(api.config.DATABASE_URL, pino({ level: "silent" }), 3_000);
    await feed.start();
    const cache = new ReadCache<object>(feed, 10);
    let loads = 0;
    const load = async () => ({ load: ++loads });
    const admin = new pg.Client({ connectionString: api.config.DATABASE_URL });
    await admin.connect();
    try {
      expect(feed.listening).toBe(true);
      const a = await cache.get("k", load);
      expect(await cache.get("k", load)).toBe(a);
      const pid = feed.backendPid;
      expect(pid).toBeGreaterThan(0);
      const { rows } = await admin.query("SELECT pg_terminate_backend($1) AS ok", [pid]);
      expect(rows[0].ok).toBe(true);
      await waitFor(async () => (feed.listening ? undefined : true), 2_000, "feed lost");
      const b = await cache.get("k", load);
      expect(b).not.toBe(a);
      expect(await cache.get("k", load)).not.toBe(b);
      await waitFor(async () => feed.listening || undefined, 10_000, "feed back");
      const c = await cache.get("k", load);
      expect(await cache.get("k", load)).toBe(c);
    } finally {
      await admin.end();
      await feed.close();
    }
  });
});
