import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi } from "./helpers";
import { generatedTrace, type StoredTrace, sample, storeTrace } from "./web-fixtures";

type Api = Awaited<ReturnType<typeof startApi>>;
let api: Api;
let trace: StoredTrace;
let hostile: StoredTrace;
let hidden: StoredTrace;

const page = async (url: string) => api.app.inject({ method: "GET", url });
const HOSTILE = `<img src=x onerror=alert(1)> "quoted" & 'single'`;

beforeAll(async () => {
  api = await startApi();
  trace = await storeTrace(api, generatedTrace(12_000, 3000), {
    description: `GTX 650, nvidia 550\n${HOSTILE}`,
    contactEmail: "private-person@example.org",
  });
  hostile = await storeTrace(
    api,
    `${sample("gk107_hand.mmiotrace")}MARK 101.000000 <script>alert("marker")</script>\n`,
    {
      name: `<b>evil</b>".mmiotrace`,
    },
  );
  hidden = await storeTrace(api, `${sample("gk107_hand.mmiotrace")}MARK 101.000000 hidden one\n`, {
    hidden: true,
  });
});
afterAll(async () => {
  await api?.close();
});

describe("pages", () => {
  it("trace page: identity with its source, phases as links, plot, downloads, escaped text, no protected field", async () => {
    const res = await page(`/t/${trace.traceId}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    const html = res.body;
    expect(html).toContain("GK107");
    expect(html).toContain("from the trace (PMC_BOOT_0)");
    expect(html).toContain(`href="/t/${trace.traceId}/e/${trace.summary.markers[1]!.eventIndex}-`);
    expect(html).toMatch(/<svg class="plot"[^>]*>[\s\S]*PBUS\.HOST_MEM\.PMEM[\s\S]*<\/svg>/);
    expect(html).toContain(`href="/api/v1/traces/${trace.traceId}/annotated"`);
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot; &amp; &#39;single&#39;");
    expect(html).not.toContain("<img src=x");
    expect(html).not.toContain("private-person@example.org");
    expect(html).not.toContain("secret-host.example");
    expect(html).toMatch(/Register database<\/dt><dd><code class="rnndb">[0-9a-f]{8,}<\/code>/);
  });

  it("sends a CSP without inline scripts or styles, and the other security headers", async () => {
    const res = await page(`/t/${trace.traceId}`);
    const csp = String(res.headers["content-security-policy"]);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["x-frame-options"]).toBe("SAMEORIGIN");
    expect(res.body).not.toMatch(/<script>|<script [^>]*>[^<]|style="/);
  });

  it("a marker or file name carrying HTML is shown as text", async () => {
    const t = await page(`/t/${hostile.traceId}`);
    expect(t.body).toContain("&lt;script&gt;alert(&quot;marker&quot;)&lt;/script&gt;");
    expect(t.body).toContain("&lt;b&gt;evil&lt;/b&gt;&quot;.mmiotrace");
    expect(t.body).not.toContain('<script>alert("marker")');
    const marker = hostile.summary.markers.find((m) => m.text.startsWith("<script>"))!;
    const seq = await page(`/t/${hostile.traceId}/e/${marker.eventIndex}-${marker.eventIndex}`);
    expect(seq.body).toContain("MARK 101.000000 &lt;script&gt;alert(&quot;marker&quot;)&lt;/script&gt;");
    // In the jump list too.
    expect(seq.body).toContain("&lt;script&gt;alert(&quot;marker&quot;)&lt;/script&gt;</a>");
    expect(seq.body).not.toContain('<script>alert("marker")');
    const dl = await page(`/api/v1/traces/${hostile.traceId}/archive`);
    expect(dl.headers["content-disposition"]).toBe(
      `attachment; filename="_b_evil__b__.mmiotrace"; filename*=UTF-8''%3Cb%3Eevil%3C%2Fb%3E%22.mmiotrace`,
    );
  });

  it("sequence view: annotated events, the linked range highlighted with context, next/previous, filters in the link", async () => {
    const res = await page(`/t/${trace.traceId}/e/5000-5009`);
    expect(res.statusCode).toBe(200);
    const rows = [...res.body.matchAll(/<tr id="e(\d+)" class="ev kind-\w+( linked)?">/g)];
    expect(rows.map((r) => Number(r[1]))).toEqual(Array.from({ length: 30 }, (_, i) => 4990 + i));
    expect(rows.filter((r) => r[2]).map((r) => Number(r[1]))).toEqual(
      Array.from({ length: 10 }, (_, i) => 5000 + i),
    );
    expect(res.body).toContain(`href="/t/${trace.traceId}/e/4990-4999"`);
    expect(res.body).toContain(`href="/t/${trace.traceId}/e/5010-5019"`);
    // Each row links to itself; the jump list links each marker's phase, a page long.
    expect(res.body).toContain(`<a href="/t/${trace.traceId}/e/5003-5003">5003</a>`);
    const mark = trace.summary.markers[1]!.eventIndex;
    expect(res.body).toContain('<details class="jump"><summary>Jump to marker</summary>');
    expect(res.body).toContain(`<li><a href="/t/${trace.traceId}/e/${mark}-${mark + 9}">`);
    expect(res.body).toMatch(/\[0\] \d+\.\d+ MMIO32 [RW] 0x001700 0x[0-9a-f]{8} PBUS\.HOST_MEM\.PMEM/);
    expect(res.body).toContain(`value="${api.config.PUBLIC_URL}/t/${trace.traceId}/e/5000-5009"`);
    const filtered = await page(`/t/${trace.traceId}/e/5000-5099?register=0x001700&access=w`);
    const ids = [...filtered.body.matchAll(/<tr id="e(\d+)"/g)].map((r) => Number(r[1]));
    expect(ids.length).toBeGreaterThan(0);
    expect(filtered.body).not.toMatch(/MMIO32 [RW] 0x(?!001700)[0-9a-f]{6} /);
    expect(filtered.body).toContain(`/t/${trace.traceId}/e/5000-5099?register=0x001700&amp;access=w`);
  });

  it("home: search box, facets and recent submissions; a search is a URL", async () => {
    const home = await page("/");
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain('<form class="search" method="get" action="/"');
    expect(home.body).toContain(`href="/s/${trace.submissionId}"`);
    expect(home.body).not.toContain(hidden.submissionId);
    const found = await page("/?chipset=GK107");
    expect(found.body).toContain(`href="/t/${trace.traceId}"`);
    expect(found.body).toMatch(
      /<h3>Family<\/h3><ul><li><a href="\/\?chipset=GK107&amp;family=NVE0">NVE0<\/a>/,
    );
    const bad = await page("/?from=yesterday");
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('class="error"');
  });

  it("card page lists the traces of a PCI id or chipset", async () => {
    const card = await page("/cards/10de:0fc6");
    expect(card.statusCode).toBe(200);
    expect(card.body).toContain(`href="/t/${trace.traceId}"`);
    expect(card.body).toContain("nvidia 550.54.14");
    expect((await page("/cards/GK107")).body).toContain(`href="/t/${trace.traceId}"`);
    expect((await page("/cards/10de:ffff")).statusCode).toBe(404);
  });

  it("submission, upload and record pages; hidden traces and unknown ids are 404 pages", async () => {
    const s = await page(`/s/${trace.submissionId}`);
    expect(s.body).toContain(`href="/t/${trace.traceId}"`);
    expect(s.body).not.toContain("private-person@example.org");
    expect((await page("/upload")).body).toContain('id="upload-form"');
    expect((await page("/record")).body).toContain("mmiohub-agent submit");
    for (const url of [
      `/t/${hidden.traceId}`,
      `/t/${hidden.traceId}/e/0-5`,
      `/s/${hidden.submissionId}`,
      "/t/nope",
    ]) {
      const res = await page(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    }
    expect((await page(`/api/v1/traces/${hidden.traceId}/events`)).statusCode).toBe(404);
    expect((await page(`/t/${trace.traceId}/e/abc`)).statusCode).toBe(400);
  });

  it("serves the static files with their types", async () => {
    const css = await page("/static/style.css");
    expect(css.headers["content-type"]).toBe("text/css; charset=utf-8");
    expect((await page("/static/app.js")).body).toContain("copy-link");
    expect((await page("/static/..%2Fpackage.json")).statusCode).toBe(404);
  });
});
