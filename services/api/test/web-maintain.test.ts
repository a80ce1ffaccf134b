import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken, hashToken, newManageToken } from "../src/services/auth-tokens";
import { startApi } from "./helpers";
import { type StoredTrace, sample, storeTrace } from "./web-fixtures";

type Api = Awaited<ReturnType<typeof startApi>>;
let api: Api;
let trace: StoredTrace;
let maintainerCookie: string;
let contributorCookie: string;

const HOST = "mmiohub.test";
const ORIGIN = `http://${HOST}`;
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

function request(
  method: "GET" | "POST",
  url: string,
  options: { cookie?: string; body?: Record<string, string>; origin?: string | null } = {},
) {
  const headers: Record<string, string> = { host: HOST };
  if (options.cookie) headers.cookie = options.cookie;
  if (options.origin !== null && method === "POST") headers.origin = options.origin ?? ORIGIN;
  if (options.body) headers["content-type"] = "application/x-www-form-urlencoded";
  return api.app.inject({ method, url, headers, payload: options.body ? form(options.body) : undefined });
}

async function login(token: string): Promise<string> {
  const res = await request("POST", "/login", { body: { token } });
  expect(res.statusCode, res.body).toBe(303);
  const cookie = String(res.headers["set-cookie"]);
  expect(cookie).toMatch(/^mmiohub_token=mmh_[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
  return cookie.split(";")[0]!;
}

beforeAll(async () => {
  api = await startApi();
  trace = await storeTrace(api, sample("gk107_hand.mmiotrace"), { contactEmail: "uploader@example.org" });
  await api.prisma.submission.update({
    where: { id: trace.submissionId },
    data: { privateMetadata: { serial: "SN-12345" } },
  });
  maintainerCookie = await login(
    (await createApiToken(api.prisma, { name: "Ada", role: "maintainer" })).token,
  );
  const contributor = await createApiToken(api.prisma, { name: "Bob", role: "contributor" });
  contributorCookie = `mmiohub_token=${contributor.token}`;
});
afterAll(async () => {
  await api?.close();
});

describe("maintainer views", () => {
  it("sign-in refuses other tokens and forms from other sites", async () => {
    const contributor = await createApiToken(api.prisma, { name: "Carol", role: "contributor" });
    const refused = await request("POST", "/login", { body: { token: contributor.token } });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers["set-cookie"]).toBeUndefined();
    const elsewhere = await request("POST", "/login", {
      body: { token: "mmh_x" },
      origin: "https://evil.example",
    });
    expect(elsewhere.statusCode).toBe(403);
    expect((await request("POST", "/login", { body: { token: "mmh_x" }, origin: null })).statusCode).toBe(
      403,
    );
  });

  it("show protected fields to maintainers only", async () => {
    const pub = await request("GET", `/t/${trace.traceId}`);
    expect(pub.body).not.toContain("uploader@example.org");
    expect(pub.body).not.toContain("SN-12345");
    expect(pub.body).not.toContain('class="maintainer"');
    const withContributor = await request("GET", `/t/${trace.traceId}`, { cookie: contributorCookie });
    expect(withContributor.body).not.toContain("uploader@example.org");
    for (const url of [`/t/${trace.traceId}`, `/s/${trace.submissionId}`]) {
      const m = await request("GET", url, { cookie: maintainerCookie });
      expect(m.body).toContain("uploader@example.org");
      expect(m.body).toContain("secret-host.example");
      expect(m.body).toContain("<dt>serial (private)</dt><dd>SN-12345</dd>");
      expect(m.headers["cache-control"]).toBe("private, no-store");
    }
  });

  it("hide, unhide, withdraw and reprocess", async () => {
    const other = await storeTrace(api, sample("gk107_hand.mmiotrace"));
    const act = (action: string, cookie = maintainerCookie) =>
      request("POST", `/s/${other.submissionId}/maintain`, {
        cookie,
        body: { action, back: `/t/${other.traceId}` },
      });
    expect((await act("hide", contributorCookie)).statusCode).toBe(403);
    const hid = await act("hide");
    expect(hid.statusCode).toBe(303);
    expect(hid.headers.location).toBe(`/t/${other.traceId}`);
    expect((await request("GET", `/t/${other.traceId}`)).statusCode).toBe(404);
    expect((await request("GET", `/t/${other.traceId}`, { cookie: maintainerCookie })).body).toContain(
      "hidden",
    );
    await act("unhide");
    expect((await request("GET", `/t/${other.traceId}`)).statusCode).toBe(200);

    expect((await act("reprocess")).statusCode).toBe(303);
    const s = await api.prisma.submission.findUniqueOrThrow({ where: { id: other.submissionId } });
    expect(s.status).toBe("reprocessing"); // a done submission keeps its traces on show meanwhile
    const job = await api.queue.getJob(`ingest-${other.submissionId}`);
    expect(job?.data).toEqual({ submissionId: other.submissionId });

    // One reprocess function behind the page button and the API: while the submission waits for
    // ingest, both answer 409 and queue nothing more.
    const busy = await act("reprocess");
    expect(busy.statusCode).toBe(409);
    expect(busy.body).toContain(`submission ${other.submissionId} is reprocessing: it is being ingested now`);
    const maintainerToken = decodeURIComponent(maintainerCookie.split("=")[1]!);
    const apiBusy = await api.app.inject({
      method: "POST",
      url: `/api/v1/submissions/${other.submissionId}/reprocess`,
      headers: { authorization: `Bearer ${maintainerToken}` },
    });
    expect(apiBusy.statusCode).toBe(409);
    expect(apiBusy.json().error.code).toBe("SUBMISSION_BUSY");
    expect((await api.queue.getJobCounts("waiting")).waiting).toBe(1);

    // Withdrawn: 410 Gone in the pages as in the API, with a page that says what happened.
    await act("withdraw");
    for (const url of [`/t/${other.traceId}`, `/t/${other.traceId}/e/0-5`, `/s/${other.submissionId}`]) {
      const gone = await request("GET", url);
      expect(gone.statusCode, url).toBe(410);
      expect(gone.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(gone.body).toContain("<h1>Withdrawn</h1>");
      expect(gone.body).toContain("was withdrawn by its uploader or a maintainer");
      expect(gone.body).toContain("Its uploader or a maintainer withdrew it");
      expect((await request("GET", url, { cookie: maintainerCookie })).statusCode, url).toBe(200);
    }
    for (const url of [
      `/api/v1/traces/${other.traceId}/events`,
      `/api/v1/traces/${other.traceId}/log`,
      `/api/v1/submissions/${other.submissionId}`,
    ]) {
      const gone = await request("GET", url);
      expect(gone.statusCode, url).toBe(410);
      expect(gone.json().error.code).toBe("SUBMISSION_WITHDRAWN");
    }
    expect((await act("explode")).statusCode).toBe(400);
    const offsite = await request("POST", `/s/${other.submissionId}/maintain`, {
      cookie: maintainerCookie,
      body: { action: "hide", back: "https://evil.example/" },
    });
    expect(offsite.headers.location).toBe(`/s/${other.submissionId}`);
  });
});

describe("the uploader's manage page", () => {
  it("edits the description and withdraws with the manage token from the upload answer", async () => {
    const owned = await storeTrace(api, sample("gk107_hand.mmiotrace"), { description: "first words" });
    const { token, hash } = newManageToken();
    expect(hash).toBe(hashToken(token));
    await api.prisma.submission.update({
      where: { id: owned.submissionId },
      data: { manageTokenHash: hash },
    });
    const url = `/s/${owned.submissionId}/manage`;

    expect((await request("GET", `${url}?token=mmhm_wrong`)).statusCode).toBe(404);
    const page = await request("GET", `${url}?token=${token}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(">first words</textarea>");

    const saved = await request("POST", url, {
      body: { token, action: "describe", description: "better <words>" },
    });
    expect(saved.body).toContain("Description saved.");
    expect(saved.body).toContain(">better &lt;words&gt;</textarea>");
    const row = await api.prisma.submission.findUniqueOrThrow({ where: { id: owned.submissionId } });
    expect(row.description).toBe("better <words>");
    expect(
      (await request("POST", url, { body: { token: "mmhm_wrong", action: "withdraw" } })).statusCode,
    ).toBe(404);

    const withdrawn = await request("POST", url, { body: { token, action: "withdraw" } });
    expect(withdrawn.body).toContain("Withdrawn");
    expect((await request("GET", `/t/${owned.traceId}`)).statusCode).toBe(410);
    expect((await request("GET", `/s/${owned.submissionId}`)).statusCode).toBe(410);
  });
});
