import { join } from "node:path";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiToken } from "../src/services/auth-tokens";
import { launchChromium, SCREENSHOTS } from "./browser";
import { freePort, startApi, waitFor } from "./helpers";
import { generatedTrace, type StoredTrace, sample, storeTrace } from "./web-fixtures";

type Api = Awaited<ReturnType<typeof startApi>>;
let api: Api;
let browser: Browser;
let context: BrowserContext;
let base: string;
let trace: StoredTrace;
let hostile: StoredTrace;

const shot = (name: string) => join(SCREENSHOTS, `${name}.png`);

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  api = await startApi({ PUBLIC_URL: base });
  await api.app.listen({ host: "127.0.0.1", port });
  trace = await storeTrace(api, generatedTrace(12_000, 3000), {
    description: "GTX 650 on nvidia 550: boot, glxgears, mode switch",
  });
  hostile = await storeTrace(
    api,
    `${sample("gk107_hand.mmiotrace")}MARK 101.000000 <script>window.pwned=1</script>\n`,
  );
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(60_000);
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
});
afterAll(async () => {
  await browser?.close();
  await api?.close();
});

// Generous limits: on a loaded 2-core machine Chromium's first pages take seconds.
describe("in Chromium", { timeout: 180_000 }, () => {
  it("search -> trace page -> sequence view -> the copied link opens the same range highlighted", async () => {
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.fill('input[name="chipset"]', "GK107");
    await page.click('form.search button[type="submit"]');
    await page.waitForURL(`${base}/?chipset=GK107`);
    await page.screenshot({ path: shot("home-search"), fullPage: true });

    await page.click(`a[href="/t/${trace.traceId}"]`);
    await page.waitForURL(`${base}/t/${trace.traceId}`);
    expect(await page.locator("svg.plot").count()).toBe(1);
    await page.screenshot({ path: shot("trace"), fullPage: true });

    // The second phase, from its marker link.
    const m = trace.summary.markers[1]!;
    await page.click(`ol.phases a[href^="/t/${trace.traceId}/e/${m.eventIndex}-"]`);
    await page.waitForURL(new RegExp(`/t/${trace.traceId}/e/${m.eventIndex}-\\d+$`));
    await page.click('a[rel="next"]');
    await page.waitForURL(new RegExp(`/t/${trace.traceId}/e/\\d+-\\d+$`));
    const [, from, to] = /\/e\/(\d+)-(\d+)$/.exec(page.url())!.map(Number) as [number, number, number];
    expect(from).toBeGreaterThan(m.eventIndex);
    await page.fill('form.filter input[name="register"]', "0x001700");
    await page.click('form.filter button[type="submit"]');
    await page.waitForURL(/register=0x001700/);
    await page.screenshot({ path: shot("sequence"), fullPage: false });

    await page.click("button.copy-link");
    const copied = (await page.evaluate("navigator.clipboard.readText()")) as string;
    expect(copied).toBe(`${base}/t/${trace.traceId}/e/${from}-${to}?register=0x001700`);

    const other = await context.newPage();
    await other.goto(copied);
    const linked = await other
      .locator("tr.linked")
      .evaluateAll((rows) => rows.map((r) => Number(r.id.slice(1))));
    expect(linked.length).toBeGreaterThan(0);
    expect(linked.every((n) => n >= from && n <= to)).toBe(true);
    const texts = await other.locator("tr.linked td.text").allTextContents();
    expect(texts.every((t) => / 0x001700 /.test(t) && t.includes("PBUS.HOST_MEM.PMEM"))).toBe(true);
    // The highlighted rows are the ones the first page showed.
    expect(linked).toEqual(
      await page.locator("tr.linked").evaluateAll((rows) => rows.map((r) => Number(r.id.slice(1)))),
    );
  });

  it("upload form sends the file with progress and links to the submission", async () => {
    const page = await context.newPage();
    await page.goto(`${base}/upload`);
    await page.screenshot({ path: shot("upload"), fullPage: true });
    const body = Buffer.from(generatedTrace(80_000, 40_000)); // ~3.5 MB
    await page.setInputFiles("#archive", {
      name: "my-trace.mmiotrace",
      mimeType: "text/plain",
      buffer: body,
    });
    await page.fill('textarea[name="description"]', "uploaded from the browser test");
    // Keep every status text the page shows, to see the progress it reported.
    // DOM code as text: the tests are typed for Node, without the DOM library.
    await page.evaluate(`(() => {
      window.seen = [];
      const status = document.getElementById("upload-status");
      new MutationObserver(() => window.seen.push(status.textContent)).observe(status, {
        childList: true, characterData: true, subtree: true,
      });
    })()`);
    await page.click('#upload-form button[type="submit"]');
    await page.waitForSelector("#submission-link", { timeout: 30_000 });
    const seen = (await page.evaluate("window.seen")) as string[];
    expect(seen.some((t) => /^Uploading: \d+% /.test(t))).toBe(true);
    expect(await page.evaluate(`document.getElementById("upload-progress").value`)).toBe(100);
    const href = await page.locator("#submission-link").getAttribute("href");
    const id = /^\/s\/(\w+)$/.exec(href ?? "")?.[1];
    expect(id).toBeDefined();
    const row = await waitFor(() =>
      api.prisma.submission.findUnique({ where: { id: id! } }).then((s) => s ?? undefined),
    );
    expect(row.description).toBe("uploaded from the browser test");
    expect(Number(row.archiveSize)).toBe(body.length);
    await page.click("#submission-link");
    await page.waitForURL(`${base}/s/${id}`);
    await page.screenshot({ path: shot("submission"), fullPage: true });
  });

  it("a marker containing <script> is shown as text and never runs", async () => {
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${base}/t/${hostile.traceId}`);
    const phase = page.locator("ol.phases li", { hasText: "<script>window.pwned=1</script>" });
    expect(await phase.count()).toBe(1);
    await phase.locator("a").click();
    await page.waitForURL(/\/e\/\d+-\d+$/);
    expect(
      await page.locator("td.text", { hasText: "MARK 101.000000 <script>window.pwned=1</script>" }).count(),
    ).toBe(1);
    expect(await page.evaluate("window.pwned")).toBeUndefined();
    expect(dialogs).toEqual([]);
    await page.screenshot({ path: shot("hostile-marker"), fullPage: true });
  });

  it("a maintainer signs in and sees protected fields and actions; a withdrawn trace is a 410 page", async () => {
    const owned = await storeTrace(api, sample("gk107_hand.mmiotrace"), {
      description: "maintainer view",
      contactEmail: "uploader@example.org",
    });
    const { token } = await createApiToken(api.prisma, { name: "Ada", role: "maintainer" });
    const maintainer = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await maintainer.newPage();
      await page.goto(`${base}/login`);
      await page.fill('input[name="token"]', token);
      await page.click('form.login button[type="submit"]');
      await page.waitForURL(`${base}/`);
      await page.goto(`${base}/t/${owned.traceId}`);
      expect(await page.locator("body").textContent()).toContain("uploader@example.org");
      expect(await page.locator('button:text("Withdraw")').count()).toBeGreaterThan(0);
      await page.screenshot({ path: shot("maintainer-trace"), fullPage: true });
    } finally {
      await maintainer.close();
    }
    await api.prisma.submission.update({
      where: { id: owned.submissionId },
      data: { withdrawnAt: new Date() },
    });
    const page = await context.newPage();
    const res = await page.goto(`${base}/t/${owned.traceId}`);
    expect(res?.status()).toBe(410);
    expect(await page.locator("h1").textContent()).toBe("Withdrawn");
    expect(await page.locator("body").textContent()).not.toContain("uploader@example.org");
    await page.screenshot({ path: shot("withdrawn"), fullPage: true });
  });

  it("record page and card page render", async () => {
    const page = await context.newPage();
    await page.goto(`${base}/record`);
    expect(await page.locator("h1").textContent()).toBe("Record a trace");
    await page.screenshot({ path: shot("record"), fullPage: true });
    await page.goto(`${base}/cards/10de:0fc6`);
    expect(await page.locator(`a[href="/t/${trace.traceId}"]`).count()).toBe(1);
    await page.screenshot({ path: shot("card"), fullPage: true });
  });
});
