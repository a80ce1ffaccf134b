/**
 * PostgreSQL text and jsonb cannot hold NUL (U+0000), which a trace may well contain (a marker
 * written with a stray NUL, a corrupt line quoted in the validation report): every string stored
 * from the trace has it replaced by U+FFFD, as invalid UTF-8 is, instead of failing the ingest.
 */
export function withoutNul<T>(value: T): T {
  if (typeof value === "string")
    return (value.includes("\0") ? value.replaceAll("\0", "\uFFFD") : value) as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [withoutNul(k), withoutNul(v)])) as T;
  }
  return value;
}
