import type { InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE } from "../src/services/pages-session";
import { multipart, startApi, testTokens } from "./helpers";
import { createRequest, createUpload, pathOf, payload, TUS } from "./tus";
import { generatedTrace, type StoredTrace, storeTrace } from "./web-fixtures";

// The permission matrix: every route the app registers x every kind of caller -> the expected
// status. The route list comes from the app itself (printRoutes), so a route added without a row
// here fails the first test. Callers: anonymous, the contributor who uploaded ("owner"), another
// contributor, a maintainer (Bearer), a maintainer signed in on the pages (session cookie), and
// bad, expired and revoked tokens (401 on every route and method, pages included).

type Who = "anonymous" | "owner" | "other" | "maintainer" | "maintainer session";
const CALLERS: Who[] = ["anonymous", "owner", "other", "maintainer", "maintainer session"];

let api: Awaited<ReturnType<typeof startApi>>;
const tok: Record<string, string> = {};
let trace: StoredTrace;
let uploads = 0;

const SECRET_EMAIL = "matrix-owner@example.org";
const SECRET_HOST = "matrix-lab-box";

function headersOf(who: Who | "bad" | "expired" | "revoked"): Record<string, string> {
  if (who === "anonymous") return {};
  if (who === "maintainer session") return { cookie: `${SESSION_COOKIE}=${tok.maintainer}` };
  const name = who === "owner" ? "alice" : who === "other" ? "bob" : who;
  return { authorization: `Bearer ${tok[name]}` };
}

/** A fresh submission uploaded by alice (the owner), with protected fields. */
async function ownedSubmission(): Promise<{ id: string; manageToken: string }> {
  const form = multipart([
    { name: "archive", value: payload(64 + uploads++), filename: "matrix.xz" },
    { name: "description", value: "matrix fixture" },
    { name: "metadata", value: JSON.stringify({ hostname: SECRET_HOST }) },
    { name: "contact_email", value: SECRET_EMAIL },
  ]);
  const res = await api.app.inject({
    method: "POST",
    url: "/api/v1/submissions",
    payload: form.payload,
    headers: { ...form.headers, authorization: `Bearer ${tok.alice}` },
  });
  expect(res.statusCode, res.body).toBe(202);
  return res.json();
}

/** A finished submission (stored as ingest leaves it), for reprocessing. */
async function doneSubmission(): Promise<string> {
  const t = await storeTrace(api, generatedTrace(20), { eventStore: true });
  return t.submissionId;
}

async function aliceUpload(): Promise<string> {
  const created = await createUpload(api.app, payload(100 + uploads++), {}, headersOf("owner"));
  expect(created.statusCode).toBe(201);
  return pathOf(String(created.headers.location));
}

// Forms that change something must come from this site's pages (Origin names the host).
const SAME_ORIGIN = {
  host: "mmiohub.test",
  origin: "http://mmiohub.test",
  "content-type": "application/x-www-form-urlencoded",
};

interface Row {
  /** "METHOD /path" as the app registers it */
  route: string;
  /** builds the request (fresh fixtures where the request changes something) */
  request: () => Promise<InjectOptions> | InjectOptions;
  expect: Record<Who, number>;
  /** callers that see the protected fields in this answer (nobody else may) */
  seesProtected?: Who[];
}

const all = (status: number): Record<Who, number> => ({
  anonymous: status,
  owner: status,
  other: status,
  maintainer: status,
  "maintainer session": status,
});
const get = (url: string) => () => ({ method: "GET" as const, url });

const ROWS: Row[] = [
  { route: "GET /", request: get("/"), expect: all(200) },
  { route: "GET /docs", request: get("/docs"), expect: all(200) },
  { route: "GET /docs/", request: get("/docs/"), expect: all(200) },
  { route: "GET /docs/static/index.html", request: get("/docs/static/index.html"), expect: all(302) },
  {
    route: "GET /docs/static/swagger-initializer.js",
    request: get("/docs/static/swagger-initializer.js"),
    expect: all(200),
  },
  { route: "GET /docs/*", request: get("/docs/static/swagger-ui.css"), expect: all(200) },
  { route: "GET /docs/json", request: get("/docs/json"), expect: all(200) },
  { route: "GET /docs/yaml", request: get("/docs/yaml"), expect: all(200) },
  { route: "GET /health", request: get("/health"), expect: all(200) },
  {
    route: "POST /api/v1/submissions",
    request: () => {
      const form = multipart([{ name: "archive", value: payload(80 + uploads++), filename: "m.xz" }]);
      return { method: "POST", url: "/api/v1/submissions", payload: form.payload, headers: form.headers };
    },
    // anonymous upload is allowed (as email was); a maintainer's page session is not an API token
    expect: all(202),
  },
  {
    route: "GET /api/v1/submissions/:id",
    request: async () => ({ method: "GET", url: `/api/v1/submissions/${(await ownedSubmission()).id}` }),
    expect: all(200),
    seesProtected: ["maintainer"],
  },
  {
    route: "PATCH /api/v1/submissions/:id",
    request: async () => ({
      method: "PATCH",
      url: `/api/v1/submissions/${(await ownedSubmission()).id}`,
      payload: { description: "changed" },
    }),
    // the API reads Bearer tokens only: a page session cookie is anonymous there
    expect: { anonymous: 401, owner: 200, other: 403, maintainer: 200, "maintainer session": 401 },
  },
  {
    route: "POST /api/v1/submissions/:id/withdraw",
    request: async () => ({
      method: "POST",
      url: `/api/v1/submissions/${(await ownedSubmission()).id}/withdraw`,
    }),
    expect: { anonymous: 401, owner: 200, other: 403, maintainer: 200, "maintainer session": 401 },
  },
  {
    route: "POST /api/v1/submissions/:id/reprocess",
    request: async () => ({ method: "POST", url: `/api/v1/submissions/${await doneSubmission()}/reprocess` }),
    expect: { anonymous: 401, owner: 403, other: 403, maintainer: 202, "maintainer session": 401 },
  },
  { route: "GET /api/v1/traces", request: get("/api/v1/traces?chipset=GK107"), expect: all(200) },
  {
    route: "GET /api/v1/traces/:id/events",
    request: () => get(`/api/v1/traces/${trace.traceId}/events?from=0&to=20`)(),
    expect: all(200),
  },
  {
    route: "GET /api/v1/traces/:id/archive",
    request: () => get(`/api/v1/traces/${trace.traceId}/archive`)(),
    expect: all(200),
  },
  {
    route: "GET /api/v1/traces/:id/annotated",
    request: () => get(`/api/v1/traces/${trace.traceId}/annotated?from=0&to=20`)(),
    expect: all(200),
  },
  {
    route: "GET /api/v1/traces/:id/log",
    request: () => get(`/api/v1/traces/${trace.traceId}/log?from=0&to=20`)(),
    expect: all(200),
  },
  {
    route: "OPTIONS /api/v1/uploads",
    request: () => ({ method: "OPTIONS", url: "/api/v1/uploads", headers: TUS }),
    expect: all(204),
  },
  {
    route: "POST /api/v1/uploads",
    request: () => createRequest(payload(100 + uploads++)),
    expect: all(201),
  },
  {
    route: "OPTIONS /api/v1/uploads/:id",
    request: async () => ({ method: "OPTIONS", url: await aliceUpload(), headers: TUS }),
    expect: all(204),
  },
  {
    route: "HEAD /api/v1/uploads/:id",
    request: async () => ({ method: "HEAD", url: await aliceUpload(), headers: TUS }),
    expect: { anonymous: 401, owner: 200, other: 403, maintainer: 200, "maintainer session": 401 },
  },
  {
    route: "PATCH /api/v1/uploads/:id",
    request: async () => ({
      method: "PATCH",
      url: await aliceUpload(),
      headers: { ...TUS, "upload-offset": "0", "content-type": "application/offset+octet-stream" },
      payload: Buffer.alloc(10),
    }),
    expect: { anonymous: 401, owner: 204, other: 403, maintainer: 204, "maintainer session": 401 },
  },
  {
    route: "DELETE /api/v1/uploads/:id",
    request: async () => ({ method: "DELETE", url: await aliceUpload(), headers: TUS }),
    expect: { anonymous: 401, owner: 204, other: 403, maintainer: 204, "maintainer session": 401 },
  },
  { route: "GET /static/:name", request: get("/static/style.css"), expect: all(200) },
  {
    route: "GET /s/:id",
    request: async () => get(`/s/${(await ownedSubmission()).id}`)(),
    expect: all(200),
    seesProtected: ["maintainer", "maintainer session"],
  },
  {
    route: "GET /s/:id/manage",
    // the manage page opens with the submission's manage token only, whoever asks
    request: async () => {
      const s = await ownedSubmission();
      return get(`/s/${s.id}/manage?token=${encodeURIComponent(s.manageToken)}`)();
    },
    expect: all(200),
  },
  {
    route: "POST /s/:id/manage",
    // a wrong manage token is refused whoever asks
    request: async () => ({
      method: "POST",
      url: `/s/${(await ownedSubmission()).id}/manage`,
      headers: SAME_ORIGIN,
      payload: "token=mmm_wrong&description=x",
    }),
    expect: all(404),
  },
  {
    route: "POST /s/:id/maintain",
    request: async () => ({
      method: "POST",
      url: `/s/${(await ownedSubmission()).id}/maintain`,
      headers: SAME_ORIGIN,
      payload: "action=hide",
    }),
    expect: { anonymous: 403, owner: 403, other: 403, maintainer: 303, "maintainer session": 303 },
  },
  { route: "GET /login", request: get("/login"), expect: all(200) },
  {
    route: "POST /login",
    // what is checked is the token typed into the form (a contributor's here), not the caller
    request: () => ({
      method: "POST",
      url: "/login",
      headers: SAME_ORIGIN,
      payload: `token=${encodeURIComponent(tok.bob!)}`,
    }),
    expect: all(401),
  },
  {
    route: "POST /logout",
    request: () => ({ method: "POST", url: "/logout", headers: SAME_ORIGIN }),
    expect: all(303),
  },
  { route: "GET /cards/:key", request: get("/cards/GK107"), expect: all(200) },
  { route: "GET /upload", request: get("/upload"), expect: all(200) },
  { route: "GET /record", request: get("/record"), expect: all(200) },
  { route: "GET /t/:id", request: () => get(`/t/${trace.traceId}`)(), expect: all(200) },
  { route: "GET /t/:id/e/:range", request: () => get(`/t/${trace.traceId}/e/0-20`)(), expect: all(200) },
];

/** "METHOD /path" of every route, from fastify's route tree (HEAD and the GET it mirrors: one row). */
function registeredRoutes(tree: string): string[] {
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of tree.split("\n")) {
    const m = /^([│ ]*)[├└]── (.*) \(([^)]*)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const path = (depth > 0 ? stack[depth - 1]! : "") + m[2]!;
    stack[depth] = path;
    for (const method of m[3]!.split(", ")) {
      if (method === "HEAD" && m[3]!.includes("GET")) continue;
      out.push(`${method} ${path}`);
    }
  }
  return out.sort();
}

beforeAll(async () => {
  api = await startApi();
  Object.assign(tok, await testTokens(api.prisma));
  trace = await storeTrace(api, generatedTrace(50), { eventStore: true });
});
afterAll(async () => api?.close());

describe("permission matrix", () => {
  it("has a row for every route the app registers", () => {
    const rows = ROWS.map((r) => r.route).sort();
    expect(new Set(rows).size).toBe(rows.length);
    expect(rows).toEqual(registeredRoutes(api.app.printRoutes({ commonPrefix: false })));
  });

  it.each(ROWS)("$route", async (row) => {
    const got: Record<string, number> = {};
    for (const who of CALLERS) {
      const req = await row.request();
      const res = await api.app.inject({ ...req, headers: { ...req.headers, ...headersOf(who) } });
      got[who] = res.statusCode;
      // whatever the answer, protected fields leave only for maintainers
      if (row.seesProtected?.includes(who)) {
        expect(res.body, `${row.route} as ${who}`).toContain(SECRET_EMAIL);
        expect(res.body, `${row.route} as ${who}`).toContain(SECRET_HOST);
      } else if (who !== "maintainer" && who !== "maintainer session") {
        expect(res.body, `${row.route} as ${who}`).not.toContain(SECRET_EMAIL);
        expect(res.body, `${row.route} as ${who}`).not.toContain(SECRET_HOST);
      }
    }
    expect(got).toEqual(row.expect);
  });

  it.each(ROWS)("$route: bad, expired and revoked tokens get 401 saying why", async (row) => {
    for (const [who, why] of [
      ["bad", "unknown token"],
      ["expired", "this token has expired"],
      ["revoked", "this token was revoked"],
    ] as const) {
      const req = await row.request();
      const res = await api.app.inject({ ...req, headers: { ...req.headers, ...headersOf(who) } });
      expect(res.statusCode, `${row.route} with a ${who} token`).toBe(401);
      expect(res.headers["www-authenticate"]).toMatch(/^Bearer realm="mmiohub"/);
      // JSON for the API, an HTML page for the pages: either way the reason is in the answer
      if (req.method !== "HEAD") expect(res.body, `${row.route} with a ${who} token`).toContain(why);
    }
  });
});
