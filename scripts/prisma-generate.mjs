// Generates the typed Prisma client after `npm install`. Prisma's CLI wants to download a native
// schema engine at start-up even for `generate`, which needs none; offline machines cannot, so we
// point PRISMA_SCHEMA_ENGINE_BINARY at an existing file when the variable is not set.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

if (!existsSync("node_modules/prisma")) process.exit(0); // a partial install: nothing to do yet
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
const r = spawnSync(process.execPath, ["node_modules/prisma/build/index.js", "generate"], {
  stdio: "inherit",
  env,
});
process.exit(r.status ?? 1);
