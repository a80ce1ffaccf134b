// Prisma 7 reads its datasource URL from here (used by `prisma migrate deploy` on machines where
// Prisma's engine can be downloaded; here migrations are applied by packages/db's migrate step).
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/mmiohub" },
});
