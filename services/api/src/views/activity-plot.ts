import type { BusyRegister } from "../services/pages-trace";
import { type Html, html } from "./html";

export interface PlotMarker {
  eventIndex: number;
  text: string;
  kind: string;
}

const W = 720;
const LABEL = 150;
const COUNT = 90;
const ROW = 18;

/**
 * The busiest registers of a trace as inline SVG: per register a bar of its accesses (reads and
 * writes) and, along the trace's event axis, the span from its first to its last access; marker
 * positions are drawn as vertical lines, so phases and register activity line up. Presentation
 * attributes only (no style attribute): the CSP allows no inline styles.
 */
export function activityPlot(
  registers: BusyRegister[],
  markers: PlotMarker[],
  eventCount: number,
  nameOf: (r: BusyRegister) => string,
): Html {
  if (registers.length === 0) return html`<p class="empty">No register statistics for this trace yet.</p>`;
  const max = Math.max(...registers.map((r) => r.reads + r.writes), 1);
  const span = Math.max(eventCount, 1);
  const axisX = LABEL + COUNT + 10;
  const axisW = W - axisX - 10;
  const x = (n: number) => axisX + (n / span) * axisW;
  const height = registers.length * ROW + 34;
  const rows = registers.map((r, i) => {
    const y = 20 + i * ROW;
    const total = r.reads + r.writes;
    const readW = (r.reads / max) * COUNT;
    const writeW = (r.writes / max) * COUNT;
    return html`<g>
  <title>${nameOf(r)}: ${r.reads} reads, ${r.writes} writes, events ${r.firstEvent}-${r.lastEvent}</title>
  <text x="${LABEL - 6}" y="${y + 12}" text-anchor="end" class="plot-label">${nameOf(r)}</text>
  <rect x="${LABEL}" y="${y + 3}" width="${readW.toFixed(1)}" height="11" fill="#4a7fb5"/>
  <rect x="${(LABEL + readW).toFixed(1)}" y="${y + 3}" width="${writeW.toFixed(1)}" height="11" fill="#d9822b"/>
  <text x="${LABEL + COUNT + 4}" y="${y + 12}" class="plot-count" text-anchor="end" fill="#fff">${total > 999 ? "" : total}</text>
  <rect x="${x(r.firstEvent).toFixed(1)}" y="${y + 5}" width="${Math.max(2, x(r.lastEvent) - x(r.firstEvent)).toFixed(1)}" height="7" fill="#7a9a4a"/>
</g>`;
  });
  const lines = markers.map(
    (m) =>
      html`<line x1="${x(m.eventIndex).toFixed(1)}" x2="${x(m.eventIndex).toFixed(1)}" y1="14" y2="${height - 16}" stroke="${m.kind === "lost" ? "#c0392b" : "#999"}" stroke-dasharray="3 2"><title>${m.text}</title></line>`,
  );
  return html`<svg class="plot" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-label="Register activity">
  <text x="${LABEL}" y="11" class="plot-head">reads / writes</text>
  <text x="${axisX}" y="11" class="plot-head">first to last access over the trace; markers dashed</text>
  ${lines}
  ${rows}
  <line x1="${axisX}" x2="${axisX + axisW}" y1="${height - 14}" y2="${height - 14}" stroke="#555"/>
  <text x="${axisX}" y="${height - 2}" class="plot-head">event 0</text>
  <text x="${axisX + axisW}" y="${height - 2}" class="plot-head" text-anchor="end">${eventCount.toLocaleString("en")}</text>
</svg>`;
}
