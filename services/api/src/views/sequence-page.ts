import { plainAscii, putDec, type TextFormat } from "@mmiohub/annotate";
import { EVENT_KIND_NAMES, formatEvent, type TraceBatch } from "@mmiohub/trace";
import {
  latin1,
  leaseScratch,
  PooledRows,
  putBytes,
  withoutEol,
  writeAccessLine,
} from "../services/events-rows";
import type { PublicTrace } from "../services/pages-trace";
import { perObject } from "../services/read-caches";
import { ESCAPES, escapeHtml, type Html, html, raw } from "./html";
import { layout } from "./layout";
import { identity, phases } from "./trace-page";

export interface SequenceView {
  trace: PublicTrace;
  /** the linked range (inclusive) */
  from: number;
  to: number;
  /** the part of it this page shows, when the range is longer than a page */
  shownTo: number;
  /** the rows, written by a SequenceRows as the events were read */
  rows: SequenceRows;
  last: number;
  /** the filter part of the query string ("" or "?register=..") */
  filterQuery: string;
  filters: { register?: string; access?: string; bar?: number };
  rnndbVersion: string | null;
  permalink: string;
  registers: string[];
}

/**
 * Annotation lines in a table cell: each line ends in `<br>` (the row takes back the last), and
 * text that is not plain goes through escapeHtml.
 */
const HTML_LINES: TextFormat = {
  lineEnd: latin1("<br>"),
  plain: plainAscii(Object.keys(ESCAPES).join("")),
  escape: escapeHtml,
};
const BR_LENGTH = HTML_LINES.lineEnd.length;

const ROW_START = latin1('<tr id="e');
/** `" class="ev kind-READ` and the like, by event kind */
const KIND_CLASS = EVENT_KIND_NAMES.map((name) => latin1(`" class="ev kind-${name}`));
const KIND_CLASS_INVALID = latin1('" class="ev kind-INVALID');
const LINKED = latin1(" linked");
const TEXT_CELL = latin1('</a></td><td class="text">');
const ROW_END = latin1("</td></tr>");

/**
 * The rows of a sequence page, written as the events come (one row per event, 500 and more per
 * page) straight into bytes, the annotator writing each row's text in place (HTML_LINES): register
 * lines are plain ASCII, copied as they are; any other piece of text goes through escapeHtml, so
 * every piece of text is escaped all the same.
 */
export class SequenceRows extends PooledRows {
  /** `"><td class="n"><a href="/t/<trace>/e/`: the same bytes in every row */
  private readonly link: Uint8Array;
  /** the event number's digits, written once per row and copied where it appears again */
  private readonly digits = new Uint8Array(24);

  /** `from`..`to`: the linked range, highlighted. */
  constructor(
    traceId: string,
    private readonly from: number,
    private readonly to: number,
  ) {
    super(HTML_LINES);
    this.link = latin1(`"><td class="n"><a href="/t/${escapeHtml(traceId)}/e/`);
  }

  protected head(b: TraceBatch, i: number): void {
    const o = this.out;
    const n = b.start + i;
    o.reserve(256 + this.link.length);
    const buf = o.buf;
    const digits = this.digits;
    const width = putDec(digits, 0, n);
    let p = putBytes(buf, o.pos, ROW_START);
    p = putBytes(buf, p, digits, width);
    p = putBytes(buf, p, KIND_CLASS[b.kind[i]!] ?? KIND_CLASS_INVALID);
    if (n >= this.from && n <= this.to) p = putBytes(buf, p, LINKED);
    p = putBytes(buf, p, this.link);
    p = putBytes(buf, p, digits, width);
    buf[p++] = 0x2d;
    p = putBytes(buf, p, digits, width);
    buf[p++] = 0x22;
    buf[p++] = 0x3e;
    p = putBytes(buf, p, digits, width);
    o.pos = putBytes(buf, p, TEXT_CELL);
  }

  close(b: TraceBatch, i: number, at: number): void {
    const o = this.out;
    if (o.pos === at) {
      // Not annotated: the kernel line.
      if (!writeAccessLine(o, b, i)) o.utf8(escapeHtml(withoutEol(formatEvent(b, i))));
    } else o.pos -= BR_LENGTH;
    o.reserve(ROW_END.length);
    o.pos = putBytes(o.buf, o.pos, ROW_END);
  }

  /** The rows' markup as bytes: a view of a pooled buffer, valid until `release`. */
  bytes(): Buffer {
    return this.out.buf.subarray(0, this.out.pos);
  }
}

/**
 * Stands for the rows in the page's markup when they are sent as bytes (sequencePageBytes): a NUL,
 * which no escaped text contains (escapeHtml shows it as U+2400).
 */
const ROWS_MARK = "\u0000rows\u0000";
/** Stands for the "jump to marker" list the same way (its bytes are cached: jumpList). */
const JUMP_MARK = "\u0000jump\u0000";

/**
 * The sequence page as bytes, in one pooled buffer: its markup around the rows' bytes and the jump
 * list's, which are not turned into a string and back (150 KB and more for the rows, tens of KB for
 * the markers of a long trace: as strings, measuring and encoding them for the response cost more
 * than writing them). One buffer goes out in one write; sent as a stream of its parts, the page
 * took a write and a turn of the event loop per part. `release` gives the buffer back to the pool
 * once the page is sent (or will never be); the rows' buffer can go back as soon as this returns.
 */
export function sequencePageBytes(v: SequenceView): { body: Buffer; release: () => void } {
  const page = sequencePage(v, raw(ROWS_MARK), raw(JUMP_MARK)).value;
  const jump = jumpList(v.trace, v.to - v.from + 1, v.filterQuery);
  const { out, release } = leaseScratch();
  let at = 0;
  for (;;) {
    const rows = page.indexOf(ROWS_MARK, at);
    const list = page.indexOf(JUMP_MARK, at);
    const next = rows < 0 ? list : list < 0 ? rows : Math.min(rows, list);
    if (next < 0) break;
    out.utf8(page.slice(at, next));
    const bytes = next === rows ? v.rows.bytes() : jump;
    out.reserve(bytes.length);
    out.pos += bytes.copy(out.buf, out.pos);
    at = next + (next === rows ? ROWS_MARK : JUMP_MARK).length;
  }
  out.utf8(page.slice(at));
  return { body: out.buf.subarray(0, out.pos), release };
}

/**
 * The "jump to marker" list, rendered once per trace object, page length and filter: a trace's
 * phases are hundreds of markers for a long trace, the same on every page of it.
 */
const jumpListsOf = perObject((_t: PublicTrace) => new Map<string, Buffer>());
function jumpList(t: PublicTrace, len: number, q: string): Buffer {
  const byKey = jumpListsOf(t);
  const key = `${len}${q}`;
  let list = byKey.get(key);
  if (!list) {
    const ph = phases(t);
    list = Buffer.from(
      ph.length
        ? html`<details class="jump"><summary>Jump to marker</summary><ol>${ph.map(
            (p) =>
              html`<li><a href="/t/${t.id}/e/${p.from}-${Math.min(p.to, p.from + len - 1)}${q}">${p.kind === "lost" ? `Lost ${p.lost} events` : p.text}</a> <span class="meta">event ${p.from}</span></li>`,
          )}</ol></details>`.value
        : "",
    );
    if (byKey.size >= 8) byKey.delete(byKey.keys().next().value!);
    byKey.set(key, list);
  }
  return list;
}

/** The card table, rendered once per trace object (as the jump list: the same on every page). */
const identityOf = perObject(identity);

/**
 * The sequence page; `rows` and `jump` stand for the rows' markup and the jump list (sent as bytes
 * apart: sequencePageBytes).
 */
function sequencePage(v: SequenceView, rows: Html, jump: Html): Html {
  const t = v.trace;
  const len = v.to - v.from + 1;
  const q = v.filterQuery;
  const prev = v.from > 0 ? `/t/${t.id}/e/${Math.max(0, v.from - len)}-${v.from - 1}${q}` : null;
  const next = v.to < v.last ? `/t/${t.id}/e/${v.to + 1}-${Math.min(v.last, v.to + len)}${q}` : null;
  const more = v.shownTo < v.to ? `/t/${t.id}/e/${v.shownTo + 1}-${v.to}${q}` : null;
  return layout({
    title: `Trace ${t.id} events ${v.from}-${v.to}`,
    page: "sequence",
    body: html`<h1><a href="/t/${t.id}">Trace <code>${t.id}</code></a> · events ${v.from}-${v.to}</h1>
${identityOf(t)}
<div class="toolbar">
  <span class="permalink-box"><input id="permalink" readonly value="${v.permalink}" aria-label="Permanent link"><button type="button" class="copy-link" data-copy="${v.permalink}">Copy link</button></span>
  ${prev ? html`<a class="button" rel="prev" href="${prev}">← Previous</a>` : ""}
  ${next ? html`<a class="button" rel="next" href="${next}">Next →</a>` : ""}
  <a class="button" href="/api/v1/traces/${t.id}/log?from=${v.from}&to=${v.to}">Download range (log)</a>
  <a class="button" href="/api/v1/traces/${t.id}/annotated?from=${v.from}&to=${v.to}">Download range (annotated)</a>
</div>
<form class="filter" method="get" action="/t/${t.id}/e/${v.from}-${v.to}">
  <label>Register <input name="register" list="registers" value="${v.filters.register ?? ""}" placeholder="0x001700, 0x1700-0x17ff or PMC.ID"></label>
  <datalist id="registers">${v.registers.map((r) => html`<option value="${r}">`)}</datalist>
  <label>Access <select name="access"><option value="">R and W</option><option value="r"${v.filters.access === "r" ? " selected" : ""}>reads</option><option value="w"${v.filters.access === "w" ? " selected" : ""}>writes</option></select></label>
  <label>BAR <input name="bar" type="number" min="0" max="6" value="${v.filters.bar ?? ""}"></label>
  <button type="submit">Filter</button>
  ${q ? html`<a href="/t/${t.id}/e/${v.from}-${v.to}">clear</a>` : ""}
</form>
${jump}
<p class="rnndb-line">Annotated with register database <code class="rnndb">${v.rnndbVersion ?? "none configured"}</code>. Highlighted: the linked events.</p>
${
  v.rows.count === 0
    ? html`<p class="empty">No event in this range matches.</p>`
    : html`<table class="events"><tbody>${rows}</tbody></table>`
}
${more ? html`<p><a class="button" href="${more}">The range goes on: events ${v.shownTo + 1}-${v.to}</a></p>` : ""}`,
  });
}
