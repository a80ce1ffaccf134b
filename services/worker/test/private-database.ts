import { freshDatabase } from "@mmiohub/db";

/**
 * A migrated database of one test file's own, next to the run's. Real worker processes sweep
 * every unfinished submission of their database at start-up: on the shared test database they
 * would take (and fail, their archives being in another storage directory) other files' uploads.
 */
export const privateDatabase = (suffix: string) => freshDatabase(process.env.DATABASE_URL!, suffix);
