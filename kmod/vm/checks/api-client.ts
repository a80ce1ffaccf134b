// A small client for the public API (issue 6): JSON answers and server-rendered pages. A route the
// server does not have yet comes back as { pending: true }, so the checks can say so plainly.

export interface Answer<T> {
  status: number;
  body: T | undefined;
  text: string;
  /** The route does not exist on this server (a 404 naming the route, not the resource). */
  pending: boolean;
}

export async function get<T = unknown>(base: string, path: string): Promise<Answer<T>> {
  const res = await fetch(new URL(path, base), { headers: { accept: "application/json, text/html" } });
  const text = await res.text();
  let body: T | undefined;
  try {
    body = JSON.parse(text) as T;
  } catch {
    body = undefined;
  }
  const pending = res.status === 404 && /Route [A-Z]+:\S+ not found|no route [A-Z]+ \//.test(text);
  return { status: res.status, body, text, pending };
}

/** A row of GET /api/v1/traces/:id/events. */
export interface EventRow {
  n: number;
  kind: string;
  line: string;
  offset: string | null;
  width: number | null;
  value: string | null;
  access: "R" | "W" | null;
  annotated: string[];
}

export interface EventsAnswer {
  trace: string;
  from: number;
  to: number;
  rnndbVersion: string | null;
  events: EventRow[];
  next: number | null;
}

/** A marker's text is the rest of its kernel line: "MARK <seconds> <text>". */
export const markerText = (e: EventRow): string | undefined => /^MARK \S+ (.*)$/.exec(e.line)?.[1];

/** The rows of a sequence page: event number -> { linked, text as shown }. */
export function pageRows(html: string): Map<number, { linked: boolean; text: string }> {
  const rows = new Map<number, { linked: boolean; text: string }>();
  for (const m of html.matchAll(/<tr id="e(\d+)" class="([^"]*)">([\s\S]*?)<\/tr>/g)) {
    const text = decodeEntities(
      (m[3] ?? "")
        .replace(/<br>/g, "\n")
        .replace(/<[^>]+>/g, " ")
        .replace(/[ \t]+/g, " "),
    );
    rows.set(Number(m[1]), { linked: /\blinked\b/.test(m[2] ?? ""), text });
  }
  return rows;
}

export function decodeEntities(s: string): string {
  return s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&amp;/g, "&");
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
