// npm run build -w @mmiohub/capture-agent: bundle the CLI into one CommonJS file, then make a Node
// single executable application of it (dist/mmiohub-agent). `--bundle-only` stops after the bundle.
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const dist = process.env.MMIOHUB_AGENT_DIST ?? join(root, "dist");
const bundle = join(dist, "mmiohub-agent.cjs");

mkdirSync(dist, { recursive: true });
await build({
  entryPoints: [join(root, "src", "cli.ts")],
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  outfile: bundle,
  logLevel: "warning",
});
console.log(`bundle: ${bundle}`);
if (process.argv.includes("--bundle-only")) process.exit(0);

const blob = join(dist, "sea-prep.blob");
const config = join(dist, "sea-config.json");
const executable = join(dist, "mmiohub-agent");
writeFileSync(config, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true }));
execFileSync(process.execPath, ["--experimental-sea-config", config], { stdio: "inherit" });
rmSync(executable, { force: true });
copyFileSync(process.execPath, executable);
chmodSync(executable, 0o755);
const postject = join(root, "..", "..", "node_modules", "postject", "dist", "cli.js");
execFileSync(
  process.execPath,
  [
    postject,
    executable,
    "NODE_SEA_BLOB",
    blob,
    "--sentinel-fuse",
    "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2",
  ],
  { stdio: "inherit" },
);
rmSync(blob);
rmSync(config);
console.log(`single executable: ${executable}`);
