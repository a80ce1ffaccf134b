// Before the suite: a fresh, migrated test database, so every run starts from the same state.
import { applyMigrations } from "@mmiohub/db";
import pg from "pg";

export default async function setup(): Promise<void> {
  const databaseUrl = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/mmiohub_test";
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = "/postgres";
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  await applyMigrations(databaseUrl);
}
