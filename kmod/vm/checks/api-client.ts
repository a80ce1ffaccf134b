// A small client for the public API as issue 6 describes it, and normalizers for the shapes of its
// answers. Where a route is not served yet, calls return { pending: true } so the checks can say
// so plainly instead of guessing.

export interface Answer<T> {
  status: number;
  body: T | undefined;
  text: string;
  /** The route does not exist on this server (fastify's "Route ... not found"). */
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

/** One event as the checks need it, whatever the field names of the API's event objects. */
export interface EventView {
  index: number;
  kind: string; // R, W, MARK, MAP, UNMAP, ...
  width?: number;
  offset?: number; // in the BAR
  value?: bigint;
  register?: string;
  text?: string; // markers
  raw: Record<string, unknown>;
}

const pick = (o: Record<string, unknown>, names: string[]): unknown => {
  for (const n of names) if (o[n] !== undefined && o[n] !== null) return o[n];
  return undefined;
};

const toBig = (v: unknown): bigint | undefined => {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  if (typeof v === "string" && /^(0x[0-9a-f]+|\d+)$/i.test(v)) return BigInt(v);
  return undefined;
};

export function normalizeEvent(raw: Record<string, unknown>, i: number): EventView {
  const kindRaw = String(pick(raw, ["kind", "type", "op", "record"]) ?? "").toUpperCase();
  const kind = kindRaw === "READ" ? "R" : kindRaw === "WRITE" ? "W" : kindRaw === "MARKER" ? "MARK" : kindRaw;
  const reg = pick(raw, ["register", "registerName", "reg", "name"]);
  const register =
    typeof reg === "string"
      ? reg
      : reg && typeof reg === "object"
        ? String((reg as Record<string, unknown>).name ?? "")
        : undefined;
  const offset = toBig(pick(raw, ["offset", "barOffset", "bar_offset", "regOffset"]));
  return {
    index: Number(pick(raw, ["index", "event", "n", "seq"]) ?? i),
    kind,
    width: Number(pick(raw, ["width", "size"]) ?? Number.NaN) || undefined,
    offset: offset === undefined ? undefined : Number(offset),
    value: toBig(pick(raw, ["value", "data"])),
    register: register || undefined,
    text: (pick(raw, ["text", "marker", "message"]) as string | undefined) ?? undefined,
    raw,
  };
}

/** Events from an answer that is either an array or an object holding one. */
export function eventsOf(body: unknown): EventView[] {
  const list = Array.isArray(body)
    ? body
    : body && typeof body === "object"
      ? (pick(body as Record<string, unknown>, ["events", "items", "data"]) as unknown[] | undefined)
      : undefined;
  return (list ?? []).map((e, i) => normalizeEvent(e as Record<string, unknown>, i));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
