#!/usr/bin/env node
// npm's bin entry: the built bundle when there is one, otherwise the TypeScript sources through tsx.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bundle = join(root, "dist", "mmiohub-agent.cjs");
if (existsSync(bundle)) {
  createRequire(import.meta.url)(bundle);
} else {
  await import("tsx/esm");
  await import(join(root, "src", "cli.ts"));
}
