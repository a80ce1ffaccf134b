import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The parser's identity for processing notes and for "reprocess what an older parser read":
 * its package version plus a hash of its sources, so a fix without a version bump still shows.
 */
function packageVersion(specifier: string): string {
  const entry = fileURLToPath(import.meta.resolve(specifier));
  const root = dirname(dirname(entry)); // <pkg>/src/index.ts -> <pkg>
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
  const hash = createHash("sha256");
  const src = join(root, "src");
  for (const name of readdirSync(src).sort()) {
    if (name.endsWith(".ts")) hash.update(name).update(readFileSync(join(src, name)));
  }
  return `${pkg.version}+${hash.digest("hex").slice(0, 12)}`;
}

let parser: string | undefined;
export function parserVersion(): string {
  parser ??= packageVersion("@mmiohub/trace");
  return parser;
}
