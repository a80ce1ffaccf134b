// `npm run migrate`: creates the database if needed and applies pending migrations.
import { databaseUrl, parseEnv } from "@mmiohub/config";
import { z } from "zod";
import { applyMigrations, ensureDatabase } from "../migrate";

const env = parseEnv(z.object({ DATABASE_URL: databaseUrl }));
try {
  await ensureDatabase(env.DATABASE_URL);
  const applied = await applyMigrations(env.DATABASE_URL);
  console.log(applied.length ? `applied ${applied.join(", ")}` : "database is up to date");
} catch (err) {
  console.error(`migrate: ${(err as Error).message}`);
  process.exit(1);
}
