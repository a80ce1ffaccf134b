/** Key of the stored metadata naming where each top-level key came from. */
export const SOURCES_KEY = "_sources";

export type MetadataSource = "form" | "archive";

export interface MergedMetadata {
  /** What anyone may read: the form's keys, then the archive's for what the form left out. */
  metadata: Record<string, unknown>;
  /** Maintainers only: keys listed in `private` (by the form, or by the archive for its keys). */
  privateMetadata: Record<string, unknown>;
  /** Maintainers only: the form's hostname, else metadata.json's. */
  hostname: string | null;
  /** The form's own public metadata (without what an earlier run merged in). */
  form: Record<string, unknown>;
  /**
   * Protected keys metadata.json itself holds (its `hostname`, keys marked private by it or by the
   * form), sorted: the archive as uploaded carries them, so only maintainers may download it.
   */
  archiveProtected: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function parseObject(text: string | undefined): Record<string, unknown> | null {
  if (text === undefined) return null;
  try {
    const v: unknown = JSON.parse(text);
    return isObject(v) ? v : null;
  } catch {
    return null;
  }
}

/**
 * Merges the capture agent's metadata.json into what the uploader sent with the form. What users
 * expect: a field they filled in explicitly wins; the archive fills the gaps. Each top-level key's
 * origin is stored beside it (`_sources`). Hostnames and the keys an uploader lists in `private`
 * never land in the public metadata. Idempotent: run again (reprocessing) on its own output it
 * gives the same result, because keys an earlier run took from the archive are recognised by
 * their origin.
 */
export function mergeMetadata(
  stored: { metadata: unknown; privateMetadata: unknown; hostname: string | null },
  archiveText: string | undefined,
): MergedMetadata {
  const previous = isObject(stored.metadata) ? stored.metadata : {};
  const sources = isObject(previous[SOURCES_KEY]) ? (previous[SOURCES_KEY] as Record<string, unknown>) : {};
  const form: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(previous))
    if (k !== SOURCES_KEY && k !== "hostname" && sources[k] !== "archive") form[k] = v;
  const formPrivate = isObject(stored.privateMetadata) ? stored.privateMetadata : {};
  const archive = parseObject(archiveText) ?? {};
  const archivePrivate = new Set(
    Array.isArray(archive.private) ? archive.private.filter((k) => typeof k === "string") : [],
  );
  const metadata: Record<string, unknown> = { ...form };
  const privateMetadata: Record<string, unknown> = {};
  const origin: Record<string, MetadataSource> = {};
  for (const k of Object.keys(form)) origin[k] = "form";
  for (const [k, v] of Object.entries(archive)) {
    if (k === "hostname" || k === "private" || k === SOURCES_KEY) continue;
    if (k in form || k in formPrivate) continue; // the form's explicit value wins
    if (archivePrivate.has(k)) privateMetadata[k] = v;
    else {
      metadata[k] = v;
      origin[k] = "archive";
    }
  }
  Object.assign(privateMetadata, formPrivate);
  metadata[SOURCES_KEY] = origin;
  const archiveHost = typeof archive.hostname === "string" ? archive.hostname.slice(0, 255) : null;
  const archiveProtected = Object.keys(archive)
    .filter((k) => k === "hostname" || archivePrivate.has(k) || k in formPrivate)
    .sort();
  return { metadata, privateMetadata, hostname: stored.hostname ?? archiveHost, form, archiveProtected };
}
