import { applyMigrations, ensureDatabase } from "@mmiohub/db";
import pg from "pg";

/**
 * A migrated database of one test file's own, next to the run's. Real worker processes sweep
 * every unfinished submission of their database at start-up: on the shared test database they
 * would take (and fail, their archives being in another storage directory) other files' uploads.
 */
export async function privateDatabase(suffix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const url = new URL(process.env.DATABASE_URL!);
  const name = `${decodeURIComponent(url.pathname.slice(1))}_${suffix}`;
  url.pathname = `/${name}`;
  await dropDatabase(url.toString(), name);
  await ensureDatabase(url.toString());
  await applyMigrations(url.toString());
  return { url: url.toString(), drop: () => dropDatabase(url.toString(), name) };
}

async function dropDatabase(databaseUrl: string, name: string): Promise<void> {
  const admin = new URL(databaseUrl);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
