export { createPrisma, type Db, type PrismaClient } from "./client";
export type {
  ApiToken,
  RegisterStat,
  Submission,
  Trace,
  TraceCard,
  TraceDevice,
  TraceMarker,
  Upload,
} from "./generated/prisma/client";
export { Prisma, SubmissionStatus, TokenRole } from "./generated/prisma/client";
export {
  applyMigrations,
  dropDatabase,
  ensureDatabase,
  freshDatabase,
  listMigrations,
  MIGRATIONS_DIR,
  type Migration,
} from "./migrate";
export { markForReprocessing } from "./reprocess";
