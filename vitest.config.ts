import { defineConfig } from "vitest/config";

// One suite for the whole repo. Integration tests use the real PostgreSQL (a database of their own,
// created and migrated by the global setup) and the real Redis (a queue prefix per test).
export default defineConfig({
  test: {
    include: ["packages/*/{src,test}/**/*.test.ts", "services/*/{src,test}/**/*.test.ts"],
    globalSetup: ["scripts/vitest-global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // DATABASE_URL is set by the global setup (a database per run).
    env: {
      REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      MMIOHUB_RNNDB:
        process.env.MMIOHUB_RNNDB ?? new URL("../shared/rnndb/envytools", import.meta.url).pathname,
      MMIOHUB_SHARED: new URL("../shared", import.meta.url).pathname,
    },
  },
});
