import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE } from "../src/services/pages-session";
import { startApi, testTokens } from "./helpers";
import { generatedTrace, type StoredTrace, storeTrace } from "./web-fixtures";

// The archive as uploaded is as its uploader packed it. When ingest found protected keys in its own
// metadata.json (the agent's hostname, keys marked private), no public answer may hand it out:
// maintainers download it, everybody else is told why and where the trace itself is.
let api: Awaited<ReturnType<typeof startApi>>;
let tok: Record<string, string>;
let held: StoredTrace;
let plain: StoredTrace;

beforeAll(async () => {
  api = await startApi();
  tok = await testTokens(api.prisma);
  held = await storeTrace(api, generatedTrace(20));
  plain = await storeTrace(api, generatedTrace(20));
  // What ingest writes for an archive whose metadata.json holds a hostname and a private key.
  await api.prisma.submission.update({
    where: { id: held.submissionId },
    data: { archiveProtected: ["hostname", "serial"] },
  });
});
afterAll(async () => api?.close());

const get = (url: string, headers: Record<string, string> = {}) =>
  api.app.inject({ method: "GET", url, headers });
const bearer = (name: string) => ({ authorization: `Bearer ${tok[name]}` });
const session = () => ({ cookie: `${SESSION_COOKIE}=${tok.maintainer}` });

describe("GET /api/v1/traces/:id/archive", () => {
  it("refuses an archive holding protected keys to anyone but maintainers, saying why", async () => {
    for (const headers of [{}, bearer("alice"), bearer("bob")]) {
      const res = await get(`/api/v1/traces/${held.traceId}/archive`, headers);
      expect(res.statusCode).toBe(403);
      expect(res.headers["content-disposition"]).toBeUndefined();
      expect(res.json().error.message).toBe(
        `this archive holds what its uploader keeps private (hostname, serial): maintainers only; the trace itself is at /api/v1/traces/${held.traceId}/log`,
      );
    }
    // The trace itself stays public.
    const log = await get(`/api/v1/traces/${held.traceId}/log`);
    expect(log.statusCode).toBe(200);
    expect(log.body).toContain("MARK 999.000000 fixture");
  });

  it("serves it to a maintainer, by token or by the pages' session", async () => {
    const stored = await api.storage.get(
      (await api.prisma.submission.findUniqueOrThrow({ where: { id: held.submissionId } })).archiveSha256,
    );
    const chunks: Buffer[] = [];
    for await (const c of stored) chunks.push(c as Buffer);
    for (const headers of [bearer("maintainer"), session()]) {
      const res = await get(`/api/v1/traces/${held.traceId}/archive`, headers);
      expect(res.statusCode).toBe(200);
      expect(res.rawPayload.equals(Buffer.concat(chunks))).toBe(true);
    }
  });

  it("serves an archive without protected keys to anyone", async () => {
    const res = await get(`/api/v1/traces/${plain.traceId}/archive`);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-disposition"]).toMatch(/^attachment; /);
  });
});

describe("the trace page's download list", () => {
  const archiveItem = async (traceId: string, headers: Record<string, string> = {}) => {
    const res = await get(`/t/${traceId}`, headers);
    expect(res.statusCode).toBe(200);
    return /<ul class="downloads">\s*<li>(.*?)<\/li>/s.exec(res.body)?.[1];
  };

  it("links the archive only for those who may download it", async () => {
    expect(await archiveItem(held.traceId)).toMatch(
      /^Archive as uploaded \([^)]*\): maintainers only, it holds what its uploader keeps private \(hostname, serial\)$/,
    );
    expect(await archiveItem(held.traceId, session())).toMatch(
      new RegExp(
        `^<a href="/api/v1/traces/${held.traceId}/archive">Archive as uploaded</a> \\([^;]*; holds hostname, serial: maintainers only\\)$`,
      ),
    );
    expect(await archiveItem(plain.traceId)).toMatch(
      new RegExp(`^<a href="/api/v1/traces/${plain.traceId}/archive">Archive as uploaded</a> \\([^)]*\\)$`),
    );
  });
});
