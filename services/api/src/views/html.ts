/**
 * A tiny HTML templating helper: `html` is a tagged template whose interpolations are escaped
 * unless they are already `Html` (the result of another `html` call or `raw`). Trace text
 * (markers, descriptions, file names) is attacker-controlled, so escaping is the default and
 * opting out is explicit.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
  "`": "&#96;",
};

/**
 * User text that would act rather than show: C0 control characters (but tab, newline and carriage
 * return) and DEL become their Unicode control pictures (ESC shows as U+241B), and the bidi
 * embeddings, overrides and isolates, which make text read in another order than it is stored,
 * become a visible `[U+202E]`.
 */
const SPECIAL = /[&<>"'`\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g;

function visible(c: string): string {
  const code = c.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return "\u2421";
  return `[U+${code.toString(16).toUpperCase()}]`;
}

const NEEDS_ESCAPE = new RegExp(SPECIAL.source);

export function escapeHtml(text: string): string {
  // Most text (hex values, register names, numbers) has nothing to escape: a sequence page renders
  // thousands of such strings, and a test is cheaper than a replace that finds nothing.
  return NEEDS_ESCAPE.test(text) ? text.replace(SPECIAL, (c) => ESCAPES[c] ?? visible(c)) : text;
}

/** Anything an interpolation accepts: nested arrays are joined, null/undefined/false render nothing. */
export type HtmlValue = Html | string | number | bigint | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Trusted markup (our own constants only, never request or trace data). */
export function raw(markup: string): Html {
  return new Html(markup);
}

/** A query string from parameters, leaving out empty ones. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
