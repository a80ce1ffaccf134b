import { readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, MIGRATIONS_DIR } from "../src/index";

// The backfill of submission.archive_protected for rows stored before the column: run on a database
// of its own (all migrations applied), on rows as they were before it.
let db: Awaited<ReturnType<typeof freshDatabase>>;
let client: pg.Client;
const backfill = readFileSync(
  join(MIGRATIONS_DIR, "20261207072000_archive_protected_backfill", "migration.sql"),
  "utf8",
);

beforeAll(async () => {
  db = await freshDatabase(process.env.DATABASE_URL!, `bf${process.pid}`);
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});
afterAll(async () => {
  await client?.end();
  await db?.drop();
});

describe("archive_protected backfill", () => {
  it("names the stored protected keys of older rows, and leaves the others and ingested ones alone", async () => {
    const rows: [string, string | null, unknown, string[]][] = [
      ["host", "lab-box", {}, []],
      ["private", null, { serial: "x", displays: [] }, []],
      ["both", "lab-box", { serial: "x" }, []],
      ["none", null, {}, []],
      ["odd", null, ["not", "an", "object"], []],
      // already named by ingest: kept as it is
      ["ingested", "lab-box", {}, ["displays"]],
    ];
    for (const [id, hostname, privateMetadata, held] of rows)
      await client.query(
        `INSERT INTO submission (id, archive_sha256, archive_size, archive_name, hostname, private_metadata,
           archive_protected, updated_at)
         VALUES ($1, $2, 1, 'a.tar.xz', $3, $4, $5, now())`,
        [id, `sha-${id}`, hostname, JSON.stringify(privateMetadata), held],
      );
    await client.query(backfill);
    const { rows: after } = await client.query<{ id: string; archive_protected: string[] }>(
      "SELECT id, archive_protected FROM submission ORDER BY id",
    );
    expect(Object.fromEntries(after.map((r) => [r.id, r.archive_protected]))).toEqual({
      both: ["hostname", "serial"],
      host: ["hostname"],
      ingested: ["displays"],
      none: [],
      odd: [],
      private: ["displays", "serial"],
    });
  });
});
