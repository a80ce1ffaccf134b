import { readFileSync } from "node:fs";
import { get_dmmf } from "@prisma/prisma-schema-wasm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The migrated database and prisma/schema.prisma must describe the same tables: every model and
// field exists with a compatible type, nullability and default, so the two cannot drift apart.
interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: "scalar" | "enum" | "object";
  type: string;
  isRequired: boolean;
  isList: boolean;
  hasDefaultValue: boolean;
  nativeType?: [string, string[]] | null;
}
interface DmmfModel {
  name: string;
  dbName?: string | null;
  fields: DmmfField[];
}

const schemaPath = new URL("../../../prisma/schema.prisma", import.meta.url);
const dmmf = JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: readFileSync(schemaPath, "utf8") })));
const models: DmmfModel[] = dmmf.datamodel.models;
const enums: { name: string; values: { name: string }[] }[] = dmmf.datamodel.enums;

const PG_TYPES: Record<string, string[]> = {
  String: ["text", "character varying"],
  Int: ["integer"],
  BigInt: ["bigint"],
  Boolean: ["boolean"],
  DateTime: ["timestamp with time zone", "timestamp without time zone"],
  Json: ["jsonb"],
  Float: ["double precision"],
  Bytes: ["bytea"],
  Decimal: ["numeric"],
};

/** Array columns (udt_name) by the Prisma type of their elements. */
const LIST_ELEMENTS: Record<string, string[]> = {
  String: ["_text", "_varchar"],
  Int: ["_int4"],
  BigInt: ["_int8"],
};

let client: pg.Client;
beforeAll(async () => {
  client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
});
afterAll(async () => client?.end());

describe("migrations match prisma/schema.prisma", () => {
  it("has at least the three core models", () => {
    expect(models.map((m) => m.name)).toEqual(expect.arrayContaining(["Submission", "Trace", "TraceDevice"]));
  });

  for (const model of models) {
    it(`table for ${model.name} has every field with a compatible column`, async () => {
      const table = model.dbName ?? model.name;
      const { rows } = await client.query<{
        column_name: string;
        data_type: string;
        udt_name: string;
        is_nullable: "YES" | "NO";
        column_default: string | null;
      }>(
        `SELECT column_name, data_type, udt_name, is_nullable, column_default
           FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
        [table],
      );
      expect(rows.length, `table "${table}" exists`).toBeGreaterThan(0);
      const columns = new Map(rows.map((r) => [r.column_name, r]));
      const expected = model.fields.filter((f) => f.kind !== "object");
      for (const field of expected) {
        const column = columns.get(field.dbName ?? field.name);
        expect(column, `${model.name}.${field.name} has a column`).toBeDefined();
        if (!column) continue;
        if (field.kind === "enum") {
          expect(column.udt_name, `${model.name}.${field.name} type`).toBe(field.type);
        } else if (field.isList) {
          // A list is an array of the element's type: udt_name is "_" and the element's ("_text").
          expect(column.data_type, `${model.name}.${field.name} is an array`).toBe("ARRAY");
          expect(LIST_ELEMENTS[field.type], `${model.name}.${field.name} element type`).toContain(
            column.udt_name,
          );
        } else {
          expect(PG_TYPES[field.type], `${model.name}.${field.name} type`).toContain(column.data_type);
        }
        expect(column.is_nullable === "NO", `${model.name}.${field.name} required`).toBe(field.isRequired);
        expect(column.column_default !== null, `${model.name}.${field.name} default`).toBe(
          field.hasDefaultValue,
        );
      }
      // And no column the schema does not know about.
      const known = new Set(expected.map((f) => f.dbName ?? f.name));
      expect([...columns.keys()].filter((c) => !known.has(c))).toEqual([]);
    });
  }

  it("has every enum with the same values", async () => {
    for (const e of enums) {
      const { rows } = await client.query<{ enumlabel: string }>(
        `SELECT e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = $1 ORDER BY e.enumsortorder`,
        [e.name],
      );
      expect(rows.map((r) => r.enumlabel)).toEqual(e.values.map((v) => v.name));
    }
  });
});
