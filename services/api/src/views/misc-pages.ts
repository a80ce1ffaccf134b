import type { TraceHit } from "../schemas/search";
import type { SubmissionPageData } from "../services/pages-submission";
import { cardLabel } from "./home";
import { type Html, html } from "./html";
import { formatBytes, formatDate, hex4, layout } from "./layout";

export function submissionPage(s: SubmissionPageData, panel?: Html): Html {
  const busy = s.status === "received" || s.status === "processing";
  const again = s.status === "reprocessing";
  return layout({
    title: `Submission ${s.id}`,
    page: "submission",
    body: html`<h1>Submission <code>${s.id}</code></h1>
<p class="status status-${s.status}" data-status="${s.status}">${s.status}${busy ? " — this page shows the traces once processing is done; reload it in a moment." : ""}${again ? " — running through ingest again; the traces below are those of the previous run until the new one replaces them." : ""}</p>
${s.status === "failed" ? html`<p class="error"><code>${s.reasonCode ?? ""}</code> ${s.reason ?? ""}</p>` : ""}
${panel ?? ""}
<dl>
  <dt>Archive</dt><dd>${s.archiveName} (${formatBytes(Number(s.archiveSize))})</dd>
  <dt>sha256</dt><dd><code>${s.archiveSha256}</code></dd>
  <dt>Uploaded</dt><dd>${formatDate(s.createdAt)}</dd>
</dl>
${s.description ? html`<h2>Description</h2><div class="description">${s.description}</div>` : ""}
<h2>Traces</h2>
${
  s.traces.length === 0
    ? html`<p class="empty">None yet.</p>`
    : html`<ul class="traces">${s.traces.map(
        (t) =>
          html`<li><a href="/t/${t.id}">${t.member}</a> <span class="meta">${Number(t.lineCount).toLocaleString("en")} lines · ${t.devices.map((d) => `${hex4(d.vendorId)}:${hex4(d.deviceId)}${d.driver ? ` (${d.driver})` : ""}`).join(", ")}</span></li>`,
      )}</ul>`
}`,
  });
}

export function cardPage(key: string, title: string, traces: TraceHit[], total: number): Html {
  const drivers = new Map<string, number>();
  for (const t of traces) {
    const d = [t.driver.name, t.driver.version].filter(Boolean).join(" ") || "unknown";
    drivers.set(d, (drivers.get(d) ?? 0) + 1);
  }
  const dates = traces.map((t) => t.createdAt.slice(0, 10)).sort();
  return layout({
    title,
    page: "card",
    body: html`<h1>${title}</h1>
<p class="meta">${total} trace${total === 1 ? "" : "s"}${dates.length ? ` · from ${dates[0]} to ${dates[dates.length - 1]}` : ""} · <a href="/?${/^[0-9a-f]{4}:[0-9a-f]{4}$/i.test(key) ? "pci" : "chipset"}=${encodeURIComponent(key)}">as a search</a></p>
<h2>Driver versions</h2>
<ul>${[...drivers].map(([d, n]) => html`<li>${d} <span class="count">${n}</span></li>`)}</ul>
<h2>Traces</h2>
<table class="card-traces"><thead><tr><th>Trace</th><th>Card</th><th>Driver</th><th>Kernel</th><th>Events</th><th>Uploaded</th></tr></thead><tbody>${traces.map(
      (t) =>
        html`<tr><td><a href="/t/${t.id}">${t.id}</a></td><td>${t.cards.map(cardLabel).join(", ")}</td><td>${t.driver.name ?? ""} ${t.driver.version ?? ""}</td><td>${t.kernel ?? ""}</td><td>${t.eventCount.toLocaleString("en")}</td><td>${t.createdAt.slice(0, 10)}</td></tr>`,
    )}</tbody></table>`,
  });
}

export function uploadPage(maxBytes: number): Html {
  return layout({
    title: "Upload a trace",
    page: "upload",
    body: html`<h1>Upload a trace</h1>
<p>For people without the <a href="/record">capture agent</a>: a raw mmiotrace log, or an archive
(<code>.xz</code>, <code>.gz</code>, <code>.bz2</code>, <code>.tar.*</code>) of one. Up to ${formatBytes(maxBytes)}.</p>
<form id="upload-form" class="upload" method="post" action="/api/v1/submissions" enctype="multipart/form-data">
  <div class="dropzone" id="dropzone">
    <p>Drag the file here, or choose it:</p>
    <input type="file" name="archive" id="archive" required>
    <p class="chosen" id="chosen"></p>
  </div>
  <label>What did you do while tracing? (card, driver, what the phases were)
    <textarea name="description" rows="6" maxlength="20000"></textarea></label>
  <label>Contact email (only maintainers see it)
    <input type="email" name="contact_email" autocomplete="email"></label>
  <button type="submit">Upload</button>
  <progress id="upload-progress" max="100" value="0" hidden></progress>
  <p id="upload-status" role="status"></p>
</form>`,
  });
}

export function recordPage(): Html {
  return layout({
    title: "Record a trace",
    page: "record",
    body: html`<h1>Record a trace</h1>
<p>The nouveau developers learn how the NVIDIA driver programs a GPU by reading the register
accesses it makes. A trace is recorded with the kernel's <em>mmiotrace</em> tracer while the
driver loads and works. The <code>mmiohub-agent</code> program does all of it: it checks the
machine, records, adds markers for each phase, collects the facts (card, driver, kernel),
packs and uploads.</p>
<h2>1. Get the agent</h2>
<p>A single executable for Linux x86-64. Run it as root on the machine with the NVIDIA card.</p>
<h2>2. The one command</h2>
<pre><code>sudo mmiohub-agent submit --server ${"<this site>"}</code></pre>
<p>It asks you, phase by phase, to do what makes a useful trace, marks each phase in the trace,
then shows you everything it will send before sending it. An interrupted upload resumes where it
stopped; without network the archive waits in a local queue (<code>mmiohub-agent queue flush</code>).</p>
<h2>What it checks first (<code>mmiohub-agent doctor</code>)</h2>
<ul>
  <li>the kernel has mmiotrace (<code>CONFIG_MMIOTRACE</code>) and tracefs is mounted;</li>
  <li>the NVIDIA module is <strong>not loaded yet</strong>: tracing must start before the driver, or the
      initialisation sequence is missing;</li>
  <li>only one CPU is online, or it offers to take the others offline (mmiotrace misses accesses made
      on other CPUs);</li>
  <li>the trace buffer is large enough (<code>--buffer-kb</code>) to avoid lost events.</li>
</ul>
<h2>What it collects</h2>
<ul>
  <li>the trace itself, with the PCI devices (PCIDEV lines) and your markers;</li>
  <li>card, subsystem ids, driver name and version, kernel release, and your description;</li>
  <li>not your hostname unless you pass <code>--include-hostname</code>; a contact email only if you give one
      (maintainers alone can see either).</li>
</ul>
<h2>What a good trace contains</h2>
<ul>
  <li>the driver loaded <strong>after</strong> tracing started (the whole initialisation);</li>
  <li>a few seconds of 3D (glxgears is enough), then a video if you can;</li>
  <li>each display mode you use: switch resolution, plug the second monitor;</li>
  <li>no lost events: the trace page says so, with where they happened.</li>
</ul>
<h2>Reading the result</h2>
<p>Your submission page lists the traces found. Each trace page shows the card as the trace itself
identifies it (and whether that agrees with what was claimed), the validation report, your phases
as links, the busiest registers, and the annotated events: each register access with its name
from the envytools database and its decoded value, as <code>demmio</code> prints it.</p>`,
  });
}
