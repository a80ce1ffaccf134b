// Before the suite: a fresh, migrated database of this run's own (several runs may share one
// PostgreSQL server), dropped again at the end. Test files read it from DATABASE_URL.
import { freshDatabase } from "@mmiohub/db";

export default async function setup(): Promise<() => Promise<void>> {
  const base = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/mmiohub_test";
  const database = await freshDatabase(base, String(process.pid));
  process.env.DATABASE_URL = database.url;
  return async () => {
    if (!process.env.MMIOHUB_KEEP_TEST_DB) await database.drop();
  };
}
