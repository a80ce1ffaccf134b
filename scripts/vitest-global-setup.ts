// Before the suite: a fresh, migrated database of this run's own (several runs may share one
// PostgreSQL server), dropped again at the end. Test files read it from DATABASE_URL.
import { applyMigrations } from "@mmiohub/db";
import pg from "pg";

function adminUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = "/postgres";
  return url.toString();
}

async function admin(databaseUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl(databaseUrl) });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export default async function setup(): Promise<() => Promise<void>> {
  const base = new URL(process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/mmiohub_test");
  const name = `${decodeURIComponent(base.pathname.slice(1))}_${process.pid}`;
  base.pathname = `/${name}`;
  const databaseUrl = base.toString();
  await admin(databaseUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin(databaseUrl, `CREATE DATABASE "${name}"`);
  await applyMigrations(databaseUrl);
  process.env.DATABASE_URL = databaseUrl;
  return async () => {
    if (!process.env.MMIOHUB_KEEP_TEST_DB)
      await admin(databaseUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  };
}
