export { createPrisma, type Db, type PrismaClient } from "./client";
export type { Submission, Trace, TraceDevice } from "./generated/prisma/client";
export { Prisma, SubmissionStatus } from "./generated/prisma/client";
export { applyMigrations, ensureDatabase, listMigrations, MIGRATIONS_DIR, type Migration } from "./migrate";
