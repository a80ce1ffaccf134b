import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "../src/services/auth-tokens";
import { type ApiAndWorker, SHARED, startApiAndWorker, waitFor, waitProcessed } from "./helpers";
import { patch, pathOf, sha256, TUS } from "./tus";

// Hostile text through every field a user sets — the upload form and its metadata, the tus
// metadata, manage-link edits, the markers and member names inside the archive — is either refused
// with a specific 4xx or stored and shown as inert text: JSON answers carry it as data; pages show
// it escaped, control and bidi characters made visible, and protected fields never in public pages.
const HOSTILE = {
  script: `<script>alert("x")</script><img src=x onerror=alert(1)>`,
  control: "bell\x07 esc\x1b[31m bs\x08 vt\x0b del\x7f",
  nul: "nul\x00byte",
  bidi: "evil\u202Etxt.exe\u202C \u2066iso\u2069",
  invalidUtf8: Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0xc3, 0x28]),
  long: "L".repeat(300 * 1024),
} as const;
type Kind = keyof typeof HOSTILE;
/** How each accepted kind reads on a page: escaped markup, visible control and bidi characters. */
const SHOWN_AS: Record<Kind, string> = {
  script: "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;",
  control: "bell\u2407 esc\u241b[31m bs\u2408 vt\u240b del\u2421",
  nul: "",
  bidi: "evil[U+202E]txt.exe[U+202C] [U+2066]iso[U+2069]",
  invalidUtf8: "bad\ufffd\ufffd\ufffd(",
  long: "",
};
const KINDS = Object.keys(HOSTILE) as Kind[];

/** Raw markup or characters that must never reach a page from user text. */
function expectInert(page: string, where: string) {
  expect(page, where).not.toContain("<script>alert");
  expect(page, where).not.toMatch(/<img src=x/i);
  expect(page.match(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g) ?? [], `${where}: control characters`).toEqual([]);
  expect(page.match(/[\u202a-\u202e\u2066-\u2069]/g) ?? [], `${where}: bidi controls`).toEqual([]);
}

let api: ApiAndWorker["api"];
let bed: ApiAndWorker | undefined;
let worker: ApiAndWorker["worker"];
let maintainer: Record<string, string>;
const gk107 = readFileSync(join(SHARED, "samples/gk107_hand.mmiotrace"), "utf8");

const bytesOf = (kind: Kind): Buffer => {
  const v = HOSTILE[kind];
  return Buffer.isBuffer(v) ? v : Buffer.from(v);
};

/** A distinct small trace archive per upload (a marker of its own), with more markers if asked. */
function traceArchive(markers: Buffer[] = []): Buffer {
  const tag = randomBytes(6).toString("hex");
  const lines = gk107.trimEnd().split("\n");
  const at = lines.findIndex((l) => l.startsWith("R ") || l.startsWith("W "));
  const ts = lines[at]!.split(" ")[2];
  const extra = [
    `MARK ${ts} upload ${tag}`,
    ...markers.map((m) => Buffer.concat([Buffer.from(`MARK ${ts} `), m])),
  ];
  const text = Buffer.concat(
    [...lines.slice(0, at), ...extra, ...lines.slice(at), ""].flatMap((l) => [
      Buffer.from(l),
      Buffer.from("\n"),
    ]),
  );
  return execFileSync("xz", ["-c", "-0"], { input: text });
}

const xzDecompress = (b: Buffer) => execFileSync("xz", ["-dc"], { input: b });

/** multipart/form-data with raw bytes anywhere (field values and the file name). */
function form(parts: { name: string; value: Buffer; filename?: Buffer }[]) {
  const boundary = `----mmiohub${randomBytes(8).toString("hex")}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`));
    if (p.filename)
      chunks.push(
        Buffer.from('; filename="'),
        p.filename,
        Buffer.from('"\r\nContent-Type: application/octet-stream'),
      );
    chunks.push(Buffer.from("\r\n\r\n"), p.value, Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(chunks),
    headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
  };
}

/** JSON text with `value` (raw bytes, so invalid UTF-8 stays invalid) where the template says @V@. */
function jsonWith(template: object, value: Buffer): Buffer {
  const [before, after] = JSON.stringify(template).split('"@V@"') as [string, string];
  const text = value.toString("utf8");
  const inner = Buffer.from(text, "utf8").equals(value)
    ? Buffer.from(JSON.stringify(text))
    : Buffer.concat([Buffer.from('"'), value, Buffer.from('"')]);
  return Buffer.concat([Buffer.from(before), inner, Buffer.from(after)]);
}

interface Field {
  name: string;
  /** Where the value goes, besides the archive. */
  parts: (v: Buffer) => { name: string; value: Buffer }[];
  filename?: (v: Buffer) => Buffer;
  /** Protected fields never reach anonymous answers; public ones are shown on these pages. */
  protected: boolean;
  shownOn: ("submission" | "trace")[];
}
const meta = (template: object) => (v: Buffer) => [{ name: "metadata", value: jsonWith(template, v) }];
const FIELDS: Field[] = [
  {
    name: "description",
    parts: (v) => [{ name: "description", value: v }],
    protected: false,
    shownOn: ["submission"],
  },
  { name: "metadata.title", parts: meta({ title: "@V@" }), protected: false, shownOn: [] },
  { name: "metadata.kernel", parts: meta({ kernel: "@V@" }), protected: false, shownOn: ["trace"] },
  {
    name: "metadata.driver",
    parts: meta({ driver: { name: "nvidia", version: "@V@" } }),
    protected: false,
    shownOn: ["trace"],
  },
  { name: "metadata.hostname", parts: meta({ hostname: "@V@" }), protected: true, shownOn: [] },
  {
    name: "metadata private key",
    parts: meta({ serial: "@V@", private: ["serial"] }),
    protected: true,
    shownOn: [],
  },
  { name: "metadata open key", parts: meta({ lab: "@V@" }), protected: false, shownOn: [] },
  {
    name: "contact_email",
    parts: (v) => [{ name: "contact_email", value: v }],
    protected: true,
    shownOn: [],
  },
  {
    name: "archive file name",
    parts: () => [],
    // as browsers send it: a quote in a file name is percent-encoded
    filename: (v) => Buffer.from(v.toString("latin1").replaceAll('"', "%22"), "latin1"),
    protected: false,
    shownOn: ["submission"],
  },
];

beforeAll(async () => {
  bed = await startApiAndWorker({ ANON_UPLOAD_LIMIT: "100000" });
  ({ api, worker } = bed);
  maintainer = {
    authorization: `Bearer ${(await createApiToken(api.prisma, { name: "m", role: "maintainer" })).token}`,
  };
});
afterAll(async () => {
  await bed?.close();
});

interface Accepted {
  id: string;
  tag: string;
  field: Field;
  kind: Kind;
  manageToken: string;
  value: Buffer;
  /** The stored file name, for the tus filename field. */
  archiveName?: string;
}
const accepted: Accepted[] = [];
const tagged = (kind: Kind) => {
  const tag = `tg${randomBytes(5).toString("hex")}`;
  // the tag last: a file name is cut to what follows its last slash (as a path's base name)
  return { tag, value: Buffer.concat([bytesOf(kind), Buffer.from(` ${tag}`)]) };
};
const get = (url: string, headers: Record<string, string> = {}) =>
  api.app.inject({ method: "GET", url, headers });

describe("the upload form", () => {
  it.each(FIELDS.flatMap((f) => KINDS.map((k) => [f.name, k, f] as const)))(
    "%s: %s is refused with a specific 400 or accepted",
    async (_name, kind, field) => {
      const { tag, value } = tagged(kind);
      const f = form([
        {
          name: "archive",
          value: traceArchive(),
          filename: field.filename?.(value) ?? Buffer.from("t.xz"),
        },
        ...field.parts(value),
      ]);
      const res = await api.app.inject({ method: "POST", url: "/api/v1/submissions", ...f });
      if (kind === "long" || kind === "nul" || field.name === "contact_email") {
        expect(res.statusCode, res.body).toBe(400);
        const { error } = res.json() as { error: { code: string; message: string } };
        expect(error.code).toBe("METADATA_INVALID");
        expect(error.message).toMatch(
          /description|metadata|contact_email|file name|filename|NUL|at most|too long|email/i,
        );
        expect(error.message).not.toContain("<script>");
        return;
      }
      expect(res.statusCode, res.body).toBe(202);
      const body = res.json() as { id: string; manageToken: string };
      const sent = field.filename?.(value) ?? value;
      accepted.push({ id: body.id, tag, field, kind, manageToken: body.manageToken, value: sent });
    },
  );
});

/** tus Upload-Metadata with raw bytes as values (base64 carries anything). */
const tusMetadata = (pairs: Record<string, Buffer>) =>
  Object.entries(pairs)
    .map(([k, v]) => `${k} ${v.toString("base64")}`)
    .join(",");

const TUS_FIELDS: Field[] = [
  {
    name: "tus description",
    parts: (v) => [{ name: "description", value: v }],
    protected: false,
    shownOn: ["submission"],
  },
  {
    name: "tus metadata.kernel",
    parts: (v) => [{ name: "metadata", value: jsonWith({ kernel: "@V@" }, v) }],
    protected: false,
    shownOn: ["trace"],
  },
  {
    name: "tus metadata.hostname",
    parts: (v) => [{ name: "metadata", value: jsonWith({ hostname: "@V@" }, v) }],
    protected: true,
    shownOn: [],
  },
  {
    name: "tus contact_email",
    parts: (v) => [{ name: "contact_email", value: v }],
    protected: true,
    shownOn: [],
  },
  {
    name: "tus filename",
    parts: (v) => [{ name: "filename", value: v }],
    protected: false,
    shownOn: ["submission"],
  },
];

describe("the tus metadata", () => {
  it.each(TUS_FIELDS.flatMap((f) => KINDS.map((k) => [f.name, k, f] as const)))(
    "%s: %s is refused with a specific 400 or accepted",
    async (_name, kind, field) => {
      const { tag, value } = tagged(kind);
      const data = traceArchive();
      const pairs: Record<string, Buffer> = { sha256: Buffer.from(sha256(data)) };
      for (const p of field.parts(value)) pairs[p.name] = p.value;
      const created = await api.app.inject({
        method: "POST",
        url: "/api/v1/uploads",
        headers: { ...TUS, "upload-length": String(data.length), "upload-metadata": tusMetadata(pairs) },
      });
      if (kind === "long" || kind === "nul" || field.name === "tus contact_email") {
        expect(created.statusCode, created.body).toBe(400);
        const { error } = created.json() as { error: { code: string; message: string } };
        expect(error.code).toBe("METADATA_INVALID");
        // The refusal names the metadata key ("metadata" for the JSON's keys) and what is wrong.
        const key = field.name.replace(/^tus /, "").split(".")[0]!;
        expect(error.message).toMatch(
          new RegExp(`^invalid upload metadata: ${key}: .*(at most|NUL|Invalid email|Too big)`),
        );
        expect(
          await api.prisma.upload.count({ where: { metadata: { path: ["sha256"], equals: sha256(data) } } }),
        ).toBe(0);
        return;
      }
      expect(created.statusCode, created.body).toBe(201);
      const path = pathOf(String(created.headers.location));
      const done = await patch(api.app, path, 0, data);
      expect(done.statusCode, done.body).toBe(204);
      const id = String(done.headers["mmiohub-submission"]);
      const row = await api.prisma.submission.findUniqueOrThrow({ where: { id } });
      // tus has no manage token in a header answer: use a maintainer's view of the manage page instead
      if (field.name === "tus filename") expect(row.archiveName).toContain(tag);
      accepted.push({
        id,
        tag,
        field,
        kind,
        manageToken: "",
        value,
        ...(field.name === "tus filename" ? { archiveName: row.archiveName } : {}),
      });
    },
  );
});

describe("manage-link edits of the description", () => {
  it.each(KINDS.map((k) => [k] as const))("%s: refused with a specific 400 or stored", async (kind) => {
    const res = await api.app.inject({
      method: "POST",
      url: "/api/v1/submissions",
      ...form([{ name: "archive", value: traceArchive(), filename: Buffer.from("t.xz") }]),
    });
    expect(res.statusCode, res.body).toBe(202);
    const { id, manageToken } = res.json() as { id: string; manageToken: string };
    const field: Field = { name: "manage edit", parts: () => [], protected: false, shownOn: ["submission"] };
    // through the API, with the manage token
    const api1 = tagged(kind);
    const edit = await api.app.inject({
      method: "PATCH",
      url: `/api/v1/submissions/${id}`,
      headers: { authorization: `Bearer ${manageToken}` },
      payload: { description: api1.value.toString("utf8") },
    });
    // through the manage page's form
    const page1 = tagged(kind);
    const posted = await api.app.inject({
      method: "POST",
      url: `/s/${id}/manage`,
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: "http://localhost",
        host: "localhost",
      },
      payload: new URLSearchParams({
        token: manageToken,
        action: "describe",
        description: page1.value.toString("utf8"),
      }).toString(),
    });
    if (kind === "long" || kind === "nul") {
      expect(edit.statusCode, edit.body).toBe(400);
      expect((edit.json() as { error: { message: string } }).error.message).toMatch(
        /description: .*(64 KiB|NUL)/,
      );
      // the form: over its body limit (413) or refused (400) with a page naming the reason
      expect([400, 413]).toContain(posted.statusCode);
      if (posted.statusCode === 400) expect(posted.body).toMatch(/description: .*(64 KiB|NUL)/);
      expectInert(posted.body, `manage form answer ${kind}`);
      const row = await api.prisma.submission.findUniqueOrThrow({ where: { id } });
      expect(row.description).toBeNull();
      return;
    }
    expect(edit.statusCode, edit.body).toBe(200);
    expect((edit.json() as { description: string }).description).toBe(api1.value.toString("utf8"));
    expect(posted.statusCode, posted.body).toBe(200);
    expectInert(posted.body, `manage form answer ${kind}`);
    expect(posted.body).toContain(page1.tag);
    accepted.push({ id, tag: page1.tag, field, kind, manageToken, value: page1.value });
  });
});

describe("text inside the archive: markers and member names", () => {
  it("is stored as data and shown inert on the trace, events and submission pages", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mmiohub-hostile-"));
    const markers = KINDS.map((k) => (k === "long" ? Buffer.from("M".repeat(60_000)) : bytesOf(k)));
    // A file name cannot hold NUL or a slash; everything else can.
    const traceName = `${HOSTILE.control} ${HOSTILE.bidi} <script>alert(1)<\\script>.mmiotrace`;
    const sideNames = [`${HOSTILE.bidi}.txt`, `<img src=x onerror=alert(1)>${"n".repeat(200)}.txt`];
    writeFileSync(join(dir, traceName), xzDecompress(traceArchive(markers)));
    for (const n of sideNames) writeFileSync(join(dir, n), "side file\n");
    const archive = execFileSync("tar", ["-cJf", "-", "-C", dir, traceName, ...sideNames]);
    const res = await api.app.inject({
      method: "POST",
      url: "/api/v1/submissions",
      ...form([{ name: "archive", value: archive, filename: Buffer.from("hostile.tar.xz") }]),
    });
    expect(res.statusCode, res.body).toBe(202);
    const { id } = res.json() as { id: string };
    const row = await waitProcessed(
      () => api.prisma.submission.findUniqueOrThrow({ where: { id }, include: { traces: true } }),
      60_000,
      "the hostile archive to be processed",
    );
    expect({ status: row.status, reason: row.reason }).toEqual({ status: "done", reason: null });
    const trace = row.traces[0]!;
    expect(trace.member).toBe(traceName);
    const stored = await api.prisma.traceMarker.findMany({
      where: { traceId: trace.id },
      orderBy: { seq: "asc" },
    });
    const texts = stored.map((m) => m.text);
    // every marker kept, as data: markup and control characters as sent, invalid UTF-8 replaced,
    // NUL (which PostgreSQL text cannot hold) replaced by U+FFFD
    expect(texts).toContain(HOSTILE.script);
    expect(texts).toContain(HOSTILE.control);
    expect(texts).toContain(HOSTILE.bidi);
    expect(texts).toContain("M".repeat(60_000));
    expect(texts).toContain("bad\ufffd\ufffd\ufffd(");
    expect(texts).toContain("nul\ufffdbyte");
    const pages = {
      trace: await get(`/t/${trace.id}`),
      events: await get(`/t/${trace.id}/e/0-100`),
      submission: await get(`/s/${id}`),
    };
    for (const [name, page] of Object.entries(pages)) {
      expect(page.statusCode, name).toBe(200);
      expectInert(page.body, `${name} page of the hostile archive`);
    }
    expect(pages.trace.body).toContain(SHOWN_AS.script);
    expect(pages.trace.body).toContain(SHOWN_AS.control);
    expect(pages.trace.body).toContain(SHOWN_AS.bidi);
    expect(pages.submission.body).toContain("\u2407 esc\u241b[31m"); // the member name, visible
    const events = await get(`/api/v1/traces/${trace.id}/events?from=0&to=100`);
    expect(events.statusCode, events.body).toBe(200);
    expect(events.headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.stringify(events.json())).toContain(JSON.stringify(HOSTILE.script).slice(1, -1));
  });
});

describe("search terms echoed back", () => {
  it.each(KINDS.map((k) => [k] as const))("%s: answered 200 or 400, the page inert", async (kind) => {
    const term = encodeURIComponent(bytesOf(kind).toString("utf8"));
    for (const url of [`/?q=${term}`, `/?kernel=${term}&driver=${term}`]) {
      const page = await get(url);
      expect([200, 400], url).toContain(page.statusCode);
      expectInert(page.body, `search page ${kind}`);
    }
    const json = await get(`/api/v1/traces?q=${term}`);
    expect([200, 400]).toContain(json.statusCode);
    expect(json.headers["content-type"]).toMatch(/^application\/json/);
  });
});

describe("a file name cut for the download header", () => {
  it("does not break on a character of two UTF-16 units at the cut", async () => {
    const name = `${"a".repeat(149)}\u{1F600}.mmiotrace.xz`;
    const res = await api.app.inject({
      method: "POST",
      url: "/api/v1/submissions",
      ...form([{ name: "archive", value: traceArchive(), filename: Buffer.from(name) }]),
    });
    expect(res.statusCode, res.body).toBe(202);
    const { id } = res.json() as { id: string };
    const row = await waitProcessed(
      () => api.prisma.submission.findUniqueOrThrow({ where: { id }, include: { traces: true } }),
      60_000,
      "the upload to be processed",
    );
    expect(row.archiveName).toBe(name);
    const download = await get(`/api/v1/traces/${row.traces[0]!.id}/archive`);
    expect(download.statusCode, download.body.slice(0, 200)).toBe(200);
    expect(String(download.headers["content-disposition"])).toMatch(
      /^attachment; filename="a{149}_+"; filename\*=UTF-8''a{149}%F0%9F%98%80$/,
    );
  });
});

describe("what was accepted", () => {
  it("accepted uploads are processed, kept as data and shown as inert text", {
    timeout: 120_000,
  }, async () => {
    expect(accepted.length).toBeGreaterThan(20);
    const rows = await waitFor(
      async () => {
        const r = await api.prisma.submission.findMany({
          where: { id: { in: accepted.map((a) => a.id) } },
          include: { traces: { select: { id: true } } },
        });
        return r.every((s) => s.status === "done" || s.status === "failed") ? r : undefined;
      },
      90_000,
      () => `the worker to process the uploads (${worker.output().slice(-2000)})`,
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const protectedTags = accepted.filter((a) => a.field.protected).map((a) => a.tag);
    for (const a of accepted) {
      const where = `${a.field.name}/${a.kind}`;
      const row = byId.get(a.id)!;
      expect({ where, status: row.status, reason: row.reason }).toEqual({
        where,
        status: "done",
        reason: null,
      });
      const traceId = row.traces[0]!.id;
      // JSON: the value as data (invalid UTF-8 decoded with replacement characters)
      const anon = await get(`/api/v1/submissions/${a.id}`);
      expect(anon.statusCode).toBe(200);
      expect(anon.headers["content-type"]).toMatch(/^application\/json/);
      const text =
        a.archiveName ??
        (a.field.filename ? a.value.toString("utf8").split(/[/\\]/).pop()! : a.value.toString("utf8"));
      if (a.field.protected) expect(anon.body, where).not.toContain(a.tag);
      else expect(JSON.stringify(anon.json()), where).toContain(JSON.stringify(text).slice(1, -1));
      const maint = await get(`/api/v1/submissions/${a.id}`, maintainer);
      expect(JSON.stringify(maint.json()), where).toContain(JSON.stringify(text).slice(1, -1));
      // Pages: inert for everyone; protected values never on a public page, shown to maintainers.
      const pages = {
        submission: await get(`/s/${a.id}`),
        trace: await get(`/t/${traceId}`),
      };
      for (const [name, page] of Object.entries(pages)) {
        expect(page.statusCode, `${where} ${name}`).toBe(200);
        expectInert(page.body, `${where} ${name} page`);
        for (const t of protectedTags) expect(page.body, `${where} ${name}`).not.toContain(t);
      }
      for (const name of a.field.shownOn) expect(pages[name].body, `${where} ${name}`).toContain(a.tag);
      if (a.field.name === "description") expect(pages.submission.body).toContain(SHOWN_AS[a.kind]);
      if (a.field.filename || a.archiveName) {
        // the file name goes back out in a download's Content-Disposition: never breaks the header
        const download = await get(`/api/v1/traces/${traceId}/archive`);
        expect(download.statusCode, `${where} download`).toBe(200);
        expect(String(download.headers["content-disposition"])).toMatch(
          /^attachment; filename="[\w.+-]+"; filename\*=UTF-8''/,
        );
      }
      if (a.manageToken) {
        const manage = await get(`/s/${a.id}/manage?token=${encodeURIComponent(a.manageToken)}`);
        expect(manage.statusCode).toBe(200);
        expectInert(manage.body, `${where} manage page`);
      }
      for (const url of [`/s/${a.id}`, `/t/${traceId}`]) {
        const page = await get(url, maintainer);
        expectInert(page.body, `${where} ${url} as maintainer`);
        if (a.field.protected && a.field.name !== "contact_email") expect(page.body, where).toContain(a.tag);
      }
    }
    const home = await get("/");
    expectInert(home.body, "home page");
    for (const t of protectedTags) expect(home.body).not.toContain(t);
  });
});
