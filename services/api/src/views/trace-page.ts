import type { BusyRegister, PublicTrace } from "../services/pages-trace";
import { activityPlot } from "./activity-plot";
import { type Html, html } from "./html";
import { formatBytes, formatDate, hex4, layout } from "./layout";

export interface TracePageView {
  trace: PublicTrace;
  registers: BusyRegister[];
  nameOf: (r: BusyRegister) => string;
  rnndbVersion: string | null;
  /** the maintainers' section (protected fields, actions), when the reader is one */
  panel?: Html;
}

interface Issue {
  code?: string;
  severity?: string;
  message?: string;
  count?: number;
  firstLines?: number[];
}

const SOURCE: Record<string, string> = {
  boot0: "from the trace (PMC_BOOT_0)",
  boot42: "from the trace (PMC_BOOT_42)",
  uploader: "uploader's claim, not confirmed by the trace",
};

/** The archive as uploaded: a link, or why there is none (it holds what its uploader keeps private). */
function archiveLink(v: TracePageView): Html {
  const t = v.trace;
  const s = t.submission;
  const size = formatBytes(Number(s.archiveSize));
  const held = s.archiveProtected.join(", ");
  if (s.archiveProtected.length === 0)
    return html`<a href="/api/v1/traces/${t.id}/archive">Archive as uploaded</a> (${size})`;
  // A maintainer (the maintainers' section is shown) may download it.
  if (v.panel !== undefined)
    return html`<a href="/api/v1/traces/${t.id}/archive">Archive as uploaded</a> (${size}; holds ${held}: maintainers only)`;
  return html`Archive as uploaded (${size}): maintainers only, it holds what its uploader keeps private (${held})`;
}

export const lastEventOf = (t: PublicTrace) => Math.max(0, Number(t.eventCount || t.lineCount) - 1);

/** The events of each marker's phase: from the marker to the event before the next one. */
export function phases(t: PublicTrace) {
  const last = lastEventOf(t);
  return t.markers.map((m, i) => {
    const next = t.markers[i + 1];
    const from = Number(m.eventIndex);
    return {
      seq: m.seq,
      kind: m.kind,
      text: m.text,
      from,
      to: next ? Math.max(from, Number(next.eventIndex) - 1) : last,
      timeUs: Number(m.timeUs),
      lost: Number(m.lost),
    };
  });
}

export function identity(t: PublicTrace): Html {
  if (t.cards.length === 0) {
    return html`<p class="empty">No card identified: the trace has no NVIDIA PCIDEV line or no BOOT_0 read.</p>`;
  }
  return html`<table class="identity"><thead><tr><th>Card</th><th>PCI id</th><th>Name</th><th>Chipset</th><th>Family</th><th>Source</th><th>Accesses</th></tr></thead><tbody>${t.cards.map(
    (c) => html`<tr>
  <td>[${c.cardIndex}]</td>
  <td><a href="/cards/${hex4(c.vendorId)}:${hex4(c.deviceId)}">${hex4(c.vendorId)}:${hex4(c.deviceId)}</a>${c.subsystemVendorId != null ? html` <span class="meta">(${hex4(c.subsystemVendorId)}:${hex4(c.subsystemDeviceId ?? 0)})</span>` : ""}</td>
  <td>${c.pciName ?? "—"}</td>
  <td>${c.codeName ? html`<a href="/cards/${c.codeName}">${c.codeName}</a>` : "—"}${c.chipset != null ? html` <span class="meta">0x${c.chipset.toString(16)}</span>` : ""}</td>
  <td>${c.family ?? "—"}${c.architecture ? ` (${c.architecture})` : ""}</td>
  <td class="source source-${c.source}">${SOURCE[c.source] ?? c.source}</td>
  <td>${Number(c.accesses).toLocaleString("en")}</td>
</tr>`,
  )}</tbody></table>`;
}

function validation(t: PublicTrace): Html {
  const v = (t.validation ?? {}) as { ok?: boolean; issues?: Issue[] };
  const issues = v.issues ?? [];
  if (issues.length === 0) return html`<p class="ok">No problems found.</p>`;
  return html`<p class="${t.validationOk ? "ok" : "warn"}">${t.validationOk ? "Usable, with remarks:" : "Problems found:"}</p>
<table class="issues"><thead><tr><th>Code</th><th>Severity</th><th>Count</th><th>What</th><th>First lines</th></tr></thead><tbody>${issues.map(
    (i) =>
      html`<tr class="sev-${i.severity ?? ""}"><td><code>${i.code ?? ""}</code></td><td>${i.severity ?? ""}</td><td>${i.count ?? ""}</td><td>${i.message ?? ""}</td><td>${(i.firstLines ?? []).slice(0, 5).map((l, k) => html`${k ? ", " : ""}<a href="/t/${t.id}/e/${Math.max(0, l - 1)}-${Math.max(0, l - 1)}">${l}</a>`)}</td></tr>`,
  )}</tbody></table>`;
}

export function tracePage(v: TracePageView): Html {
  const t = v.trace;
  const s = t.submission;
  const last = lastEventOf(t);
  const firstPage = `/t/${t.id}/e/0-${Math.min(last, 199)}`;
  const phaseList = phases(t);
  const title = t.cards[0]?.codeName ?? t.cards[0]?.pciName ?? t.member;
  return layout({
    title: `Trace ${t.id}`,
    page: "trace",
    body: html`<h1>Trace <code>${t.id}</code> <span class="sub">${title}</span></h1>
<p class="permalink">Permanent link: <a href="/t/${t.id}">/t/${t.id}</a> · <a class="button" href="${firstPage}">Read the events</a></p>
${v.panel ?? ""}
<section><h2>Card</h2>${identity(t)}</section>
<section class="about"><h2>About this trace</h2>
<dl>
  <dt>Submission</dt><dd><a href="/s/${s.id}">${s.id}</a> · ${s.archiveName} (${formatBytes(Number(s.archiveSize))}) · uploaded ${formatDate(s.createdAt)}</dd>
  <dt>Log</dt><dd>${t.member} · ${Number(t.lineCount).toLocaleString("en")} lines · ${formatBytes(Number(t.textBytes))}</dd>
  <dt>Driver</dt><dd>${s.driverName ?? "unknown"} ${s.driverVersion ?? ""}</dd>
  <dt>Kernel</dt><dd>${s.kernel ?? "unknown"}</dd>
  <dt>Events</dt><dd>${Number(t.eventCount || t.lineCount).toLocaleString("en")} (${Number(t.accessCount).toLocaleString("en")} register accesses)</dd>
  <dt>Lost events</dt><dd class="${Number(t.lostEvents) > 0 ? "warn" : ""}">${Number(t.lostEvents) > 0 ? `${Number(t.lostEvents).toLocaleString("en")} events were dropped by the kernel: accesses are missing` : "none"}</dd>
  <dt>Register database</dt><dd><code class="rnndb">${v.rnndbVersion ?? "none configured"}</code></dd>
</dl>
${s.description ? html`<h3>Description</h3><div class="description">${s.description}</div>` : ""}
</section>
<section><h2>Validation</h2>${validation(t)}</section>
<section><h2>Phases</h2>${
      phaseList.length === 0
        ? html`<p class="empty">No markers in this trace.</p>`
        : html`<ol class="phases">${phaseList.map(
            (p) =>
              html`<li class="phase-${p.kind}"><a href="/t/${t.id}/e/${p.from}-${p.to}">${p.kind === "lost" ? `Lost ${p.lost} events` : p.text}</a> <span class="meta">events ${p.from}-${p.to}</span></li>`,
          )}</ol>`
    }</section>
<section><h2>Register activity</h2>${activityPlot(
      v.registers,
      phaseList.map((p) => ({ eventIndex: p.from, text: p.text, kind: p.kind })),
      last + 1,
      v.nameOf,
    )}</section>
<section><h2>Downloads</h2><ul class="downloads">
  <li>${archiveLink(v)}</li>
  <li><a href="/api/v1/traces/${t.id}/log">Whole log</a> (kernel format)</li>
  <li><a href="/api/v1/traces/${t.id}/annotated">Whole log, annotated</a> (demmio format)</li>
</ul></section>`,
  });
}
