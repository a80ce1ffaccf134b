import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./browser";
import { startApi } from "./helpers";

// OpenAPI generated from the zod schemas the routes validate with.
let api: Awaited<ReturnType<typeof startApi>>;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => api?.close());

describe("OpenAPI", () => {
  it("serves the UI at /docs", async () => {
    const res = await api.app.inject({ method: "GET", url: "/docs/" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/text\/html/);
    expect(res.body).toContain("swagger");
  });

  it("describes the routes with the same schemas they validate with", async () => {
    const res = await api.app.inject({ method: "GET", url: "/docs/json" });
    expect(res.statusCode).toBe(200);
    const spec = res.json();
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/traces",
        "/api/v1/submissions",
        "/api/v1/submissions/{id}",
        "/api/v1/submissions/{id}/withdraw",
        "/api/v1/uploads",
        "/api/v1/uploads/{id}",
      ]),
    );
    const search = spec.paths["/api/v1/traces"].get;
    const names = search.parameters.map((p: { name: string }) => p.name);
    for (const filter of [
      "q",
      "pci",
      "chipset",
      "family",
      "driver",
      "kernel",
      "from",
      "to",
      "valid",
      "lost",
      "register",
      "access",
      "bar",
      "marker",
      "sort",
      "limit",
      "cursor",
    ]) {
      expect(names).toContain(filter);
    }
    const sort = search.parameters.find((p: { name: string }) => p.name === "sort");
    expect(sort.schema.enum).toEqual(["newest", "oldest", "most_events", "fewest_events"]);
    const ok = search.responses["200"].content["application/json"].schema;
    expect(Object.keys(ok.properties)).toEqual(["total", "traces", "facets", "next", "links"]);
    expect(spec.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    const view =
      spec.paths["/api/v1/submissions/{id}"].get.responses["200"].content["application/json"].schema;
    expect(view.properties.protected.description).toMatch(/Maintainers only/i);
  });
});

describe("OpenAPI UI in a real browser", () => {
  it("renders the operations from /docs/json under its CSP", async () => {
    await api.app.listen({ port: 0, host: "127.0.0.1" });
    const address = api.app.server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const blocked: string[] = [];
      page.on("console", (m) => {
        if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
      });
      await page.goto(`http://127.0.0.1:${port}/docs/`);
      await page.waitForSelector(".opblock-summary-path", { timeout: 20_000 });
      const paths = await page.$$eval(".opblock-summary-path", (els) =>
        els.map((e) => e.getAttribute("data-path")),
      );
      expect(paths).toEqual(
        expect.arrayContaining(["/api/v1/traces", "/api/v1/uploads", "/api/v1/submissions/{id}"]),
      );
      expect(blocked).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
