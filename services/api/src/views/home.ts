import type { SearchFacets, TraceHit } from "../schemas/search";
import { type Html, html } from "./html";
import { formatDate, layout } from "./layout";

export interface RecentSubmission {
  id: string;
  status: string;
  archiveName: string;
  createdAt: Date;
  traceCount: number;
}

export interface HomeView {
  /** the query string of the search (canonical), "" when none */
  query: string;
  values: Record<string, string>;
  error?: string;
  total?: number;
  traces?: TraceHit[];
  facets?: SearchFacets;
  next?: string | null;
  recent: RecentSubmission[];
}

export function cardLabel(c: TraceHit["cards"][number]): string {
  return [c.codeName, c.pciName ?? c.pciId].filter(Boolean).join(" · ");
}

function traceList(traces: TraceHit[]): Html {
  if (traces.length === 0) return html`<p class="empty">No trace matches.</p>`;
  return html`<ul class="hits">${traces.map(
    (t) => html`<li>
  <a class="hit" href="/t/${t.id}">${t.cards.length ? t.cards.map(cardLabel).join(", ") : "unidentified card"}</a>
  <span class="meta">${t.driver.name ?? ""} ${t.driver.version ?? ""} · kernel ${t.kernel ?? "?"} · ${t.eventCount.toLocaleString("en")} events${t.lostEvents ? html` · <span class="warn">${t.lostEvents} lost</span>` : ""}${t.validationOk ? "" : html` · <span class="warn">validation issues</span>`} · ${t.createdAt.slice(0, 10)}</span>
  ${t.description ? html`<p class="desc">${t.description.slice(0, 300)}</p>` : ""}
</li>`,
  )}</ul>`;
}

function facetBlock(
  title: string,
  key: string,
  items: { value: string; count: number }[],
  values: Record<string, string>,
): Html {
  if (items.length === 0) return html``;
  const link = (value: string) => {
    const q = new URLSearchParams({ ...values, [key]: value });
    return `/?${q.toString()}`;
  };
  return html`<section class="facet"><h3>${title}</h3><ul>${items.map(
    (f) => html`<li><a href="${link(f.value)}">${f.value}</a> <span class="count">${f.count}</span></li>`,
  )}</ul></section>`;
}

export function homePage(v: HomeView): Html {
  const val = (k: string) => v.values[k] ?? "";
  const form = html`<form class="search" method="get" action="/" role="search">
  <input type="search" name="q" value="${val("q")}" placeholder="Search descriptions and markers" aria-label="Free text">
  <input name="chipset" value="${val("chipset")}" placeholder="Chipset (GK107, 0xe7)" aria-label="Chipset">
  <input name="pci" value="${val("pci")}" placeholder="PCI id (10de:0fc6)" aria-label="PCI id">
  <input name="register" value="${val("register")}" placeholder="Register (0x001700)" aria-label="Register touched">
  <input name="driver" value="${val("driver")}" placeholder="Driver (550.54.14)" aria-label="Driver">
  <button type="submit">Search</button>
</form>`;
  const results =
    v.traces !== undefined
      ? html`<section class="results">
  <h2>${v.total ?? 0} trace${v.total === 1 ? "" : "s"}</h2>
  ${traceList(v.traces)}
  ${v.next ? html`<a class="more" href="/?${v.query ? `${v.query}&` : ""}cursor=${encodeURIComponent(v.next)}">Next page</a>` : ""}
</section>`
      : "";
  const facets = v.facets
    ? html`<aside class="facets">
  ${facetBlock("Family", "family", v.facets.family, v.values)}
  ${facetBlock("Chipset", "chipset", v.facets.chipset, v.values)}
  ${facetBlock("Driver version", "driver", v.facets.driverVersion, v.values)}
</aside>`
    : "";
  const recent = html`<section class="recent"><h2>Recent submissions</h2>
  ${
    v.recent.length === 0
      ? html`<p class="empty">Nothing uploaded yet.</p>`
      : html`<ul>${v.recent.map(
          (s) =>
            html`<li><a href="/s/${s.id}">${s.archiveName}</a> <span class="status status-${s.status}">${s.status}</span> <span class="meta">${s.traceCount} trace${s.traceCount === 1 ? "" : "s"} · ${formatDate(s.createdAt)}</span></li>`,
        )}</ul>`
  }
</section>`;
  return layout({
    title: v.query ? "Search" : "mmiotrace logs",
    page: "home",
    body: html`<h1>Find a trace</h1>
${form}
${v.error ? html`<p class="error" role="alert">${v.error}</p>` : ""}
<div class="columns">${facets}<div class="main-col">${results}${recent}</div></div>`,
  });
}
