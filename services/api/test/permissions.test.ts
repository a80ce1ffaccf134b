import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { multipart, startApi, testTokens } from "./helpers";
import { GK107, seedTrace } from "./seed";
import { createUpload, head, pathOf, payload } from "./tus";

// Who may do what, with real tokens in the real database: anonymous, the contributor who
// uploaded, another contributor, a maintainer, a bad token, an expired and a revoked one.
let api: Awaited<ReturnType<typeof startApi>>;
const tok: Record<string, string> = {};
const bearer = (name: string) => ({ authorization: `Bearer ${tok[name]}` });
const SECRET_EMAIL = "uploader@example.org";
const SECRET_HOST = "lab-box-42";
const SECRET_SERIAL = "SERIAL-XYZ-991";

let owned: string; // uploaded by contributor "alice"
let anon: { id: string; manageToken: string }; // uploaded anonymously

async function upload(headers: Record<string, string> = {}) {
  const form = multipart([
    { name: "archive", value: payload(64), filename: "t.xz" },
    { name: "description", value: "first words" },
    {
      name: "metadata",
      value: JSON.stringify({
        kernel: "6.1.0",
        hostname: SECRET_HOST,
        serial: SECRET_SERIAL,
        private: ["serial"],
      }),
    },
    { name: "contact_email", value: SECRET_EMAIL },
  ]);
  const res = await api.app.inject({
    method: "POST",
    url: "/api/v1/submissions",
    payload: form.payload,
    headers: { ...form.headers, ...headers },
  });
  expect(res.statusCode, res.body).toBe(202);
  return res.json() as { id: string; manageToken: string };
}

beforeAll(async () => {
  api = await startApi();
  Object.assign(tok, await testTokens(api.prisma));
  owned = (await upload(bearer("alice"))).id;
  anon = await upload();
});
afterAll(async () => api?.close());

const get = (id: string, headers: Record<string, string> = {}) =>
  api.app.inject({ method: "GET", url: `/api/v1/submissions/${id}`, headers });
const edit = (id: string, body: object, headers: Record<string, string> = {}) =>
  api.app.inject({ method: "PATCH", url: `/api/v1/submissions/${id}`, payload: body, headers });

describe("tokens", () => {
  it("refuses bad, expired and revoked tokens with 401 on every route, and other schemes", async () => {
    const cases: [Record<string, string>, string][] = [
      [bearer("bad"), "TOKEN_INVALID"],
      [bearer("expired"), "TOKEN_EXPIRED"],
      [bearer("revoked"), "TOKEN_REVOKED"],
      [{ authorization: "Basic YWxpY2U6cGFzcw==" }, "TOKEN_INVALID"],
    ];
    for (const [headers, code] of cases) {
      for (const url of [`/api/v1/submissions/${owned}`, "/api/v1/traces"]) {
        const res = await api.app.inject({ method: "GET", url, headers });
        expect(res.statusCode, `${url} ${code}`).toBe(401);
        expect(res.json().error.code).toBe(code);
        expect(res.headers["www-authenticate"]).toMatch(/^Bearer realm="mmiohub"/);
      }
    }
  });

  it("records the uploading token on the submission", async () => {
    const row = await api.prisma.submission.findUniqueOrThrow({
      where: { id: owned },
      include: { uploaderToken: true },
    });
    expect(row.uploaderToken?.name).toBe("alice");
    expect(
      (await api.prisma.submission.findUniqueOrThrow({ where: { id: anon.id } })).uploaderTokenId,
    ).toBeNull();
  });
});

describe("protected fields", () => {
  it("shows contact email, hostname and private metadata to maintainers only", async () => {
    for (const who of [null, "alice", "bob"]) {
      const res = await get(owned, who ? bearer(who) : {});
      expect(res.statusCode).toBe(200);
      expect(res.json().protected).toBeUndefined();
      for (const secret of [SECRET_EMAIL, SECRET_HOST, SECRET_SERIAL, "serial"])
        expect(res.body).not.toContain(secret);
      expect(res.json().metadata).toEqual({ kernel: "6.1.0" });
    }
    const res = await get(owned, bearer("maintainer"));
    expect(res.json().protected).toEqual({
      contactEmail: SECRET_EMAIL,
      hostname: SECRET_HOST,
      privateMetadata: { serial: SECRET_SERIAL },
    });
  });

  it("never puts them in search answers", async () => {
    const word = `pf${Date.now()}`;
    await seedTrace(api.prisma, {
      description: word,
      contactEmail: SECRET_EMAIL,
      hostname: SECRET_HOST,
      cards: [GK107],
    });
    for (const headers of [{}, bearer("alice"), bearer("maintainer")]) {
      const res = await api.app.inject({ method: "GET", url: `/api/v1/traces?q=${word}`, headers });
      expect(res.statusCode).toBe(200);
      expect(res.json().total).toBe(1);
      expect(res.body).not.toContain(SECRET_EMAIL);
      expect(res.body).not.toContain(SECRET_HOST);
    }
  });
});

describe("editing, hiding and withdrawing", () => {
  it("lets the owner and maintainers edit the description, nobody else", async () => {
    const cases: [string, Record<string, string>, number, string?][] = [
      ["anonymous", {}, 401, "AUTH_REQUIRED"],
      ["other contributor", bearer("bob"), 403, "FORBIDDEN"],
      [
        "another submission's manage token",
        { authorization: `Bearer ${anon.manageToken}` },
        403,
        "FORBIDDEN",
      ],
      ["bad token", bearer("bad"), 401, "TOKEN_INVALID"],
      ["expired token", bearer("expired"), 401, "TOKEN_EXPIRED"],
      ["owner (uploading token)", bearer("alice"), 200],
      ["maintainer", bearer("maintainer"), 200],
    ];
    for (const [who, headers, status, code] of cases) {
      const res = await edit(owned, { description: `edited by ${who}` }, headers);
      expect(res.statusCode, `${who}: ${res.body}`).toBe(status);
      if (code) expect(res.json().error.code).toBe(code);
      else expect(res.json().description).toBe(`edited by ${who}`);
    }
    const own = await edit(
      anon.id,
      { description: "fixed typo zebra" },
      { authorization: `Bearer ${anon.manageToken}` },
    );
    expect(own.statusCode).toBe(200);
    expect(own.json().protected).toBeUndefined();
    expect((await get(anon.id)).json().description).toBe("fixed typo zebra");
  });

  it("rejects an empty or unknown change with 400", async () => {
    const empty = await edit(owned, {}, bearer("maintainer"));
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.message).toContain("nothing to change");
    const unknown = await edit(owned, { status: "done" }, bearer("maintainer"));
    expect(unknown.statusCode).toBe(400);
  });

  it("lets only maintainers hide; hidden submissions vanish for the public", async () => {
    expect((await edit(owned, { hidden: true }, bearer("alice"))).statusCode).toBe(403);
    const hidden = await edit(owned, { hidden: true }, bearer("maintainer"));
    expect(hidden.statusCode).toBe(200);
    expect(hidden.json().hidden).toBe(true);
    expect((await get(owned)).statusCode).toBe(404);
    expect((await get(owned, bearer("bob"))).statusCode).toBe(404);
    expect((await get(owned, bearer("alice"))).statusCode).toBe(200);
    expect((await get(owned, bearer("maintainer"))).statusCode).toBe(200);
    expect((await edit(owned, { hidden: false }, bearer("maintainer"))).statusCode).toBe(200);
    expect((await get(owned)).statusCode).toBe(200);
  });

  it("lets the owner withdraw with the manage token; withdrawn submissions answer 410 to the public", async () => {
    const manage = { authorization: `Bearer ${anon.manageToken}` };
    expect(
      (await api.app.inject({ method: "POST", url: `/api/v1/submissions/${anon.id}/withdraw` })).statusCode,
    ).toBe(401);
    expect(
      (
        await api.app.inject({
          method: "POST",
          url: `/api/v1/submissions/${anon.id}/withdraw`,
          headers: bearer("bob"),
        })
      ).statusCode,
    ).toBe(403);
    const res = await api.app.inject({
      method: "POST",
      url: `/api/v1/submissions/${anon.id}/withdraw`,
      headers: manage,
    });
    expect(res.statusCode).toBe(200);
    const at = res.json().withdrawnAt;
    expect(Date.parse(at)).toBeGreaterThan(0);
    const again = await api.app.inject({
      method: "POST",
      url: `/api/v1/submissions/${anon.id}/withdraw`,
      headers: manage,
    });
    expect(again.json().withdrawnAt).toBe(at);
    const pub = await get(anon.id);
    expect(pub.statusCode).toBe(410);
    expect(pub.json().error.code).toBe("SUBMISSION_WITHDRAWN");
    expect((await get(anon.id, manage)).statusCode).toBe(200);
    expect((await get(anon.id, bearer("maintainer"))).json().withdrawnAt).toBe(at);
  });
});

describe("resumable uploads belong to their token", () => {
  it("lets only the creating token and maintainers touch an upload made with a token", async () => {
    const created = await createUpload(api.app, payload(100), {}, bearer("alice"));
    expect(created.statusCode).toBe(201);
    const path = pathOf(String(created.headers.location));
    expect((await head(api.app, path)).statusCode).toBe(401);
    expect((await head(api.app, path, bearer("bob"))).statusCode).toBe(403);
    expect((await head(api.app, path, bearer("expired"))).statusCode).toBe(401);
    expect((await head(api.app, path, bearer("alice"))).statusCode).toBe(200);
    expect((await head(api.app, path, bearer("maintainer"))).statusCode).toBe(200);
  });
});

describe("reprocessing", () => {
  it("lets maintainers only send a finished submission through ingest again", async () => {
    const url = `/api/v1/submissions/${owned}/reprocess`;
    await api.prisma.submission.update({
      where: { id: owned },
      data: { status: "done", finishedAt: new Date() },
    });
    // As after a finished ingest: no job waiting for it.
    await (await api.queue.getJob(`ingest-${owned}`))?.remove();
    expect(await api.queue.getJob(`ingest-${owned}`)).toBeUndefined();
    expect((await api.app.inject({ method: "POST", url })).statusCode).toBe(401);
    expect((await api.app.inject({ method: "POST", url, headers: bearer("alice") })).statusCode).toBe(403);
    const res = await api.app.inject({ method: "POST", url, headers: bearer("maintainer") });
    expect(res.statusCode, res.body).toBe(202);
    // the previous result stays on show (and keeps its finish time) while the new run is under way
    expect(res.json()).toMatchObject({ id: owned, status: "reprocessing" });
    expect(res.json()).toMatchObject({ finishedAt: expect.any(String) });
    const job = await api.queue.getJob(`ingest-${owned}`);
    expect(await job?.getState()).toBe("waiting");
    // Still queued: nothing to do a second time.
    const busy = await api.app.inject({ method: "POST", url, headers: bearer("maintainer") });
    expect(busy.statusCode).toBe(409);
    expect(busy.json().error.code).toBe("SUBMISSION_BUSY");
  });
});
