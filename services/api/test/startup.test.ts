import { describe, expect, it } from "vitest";
import { runUntilExit as start } from "./api-process";

// Each service refuses to start with one clear line naming the problem, not a stack trace.

const cases: [string, Record<string, string>, RegExp][] = [
  ["a malformed PORT", { PORT: "eighty" }, /Invalid configuration:\n {2}- PORT: .*\(got "eighty"\)/],
  [
    "a DATABASE_URL that is not a postgres URL",
    { DATABASE_URL: "mysql://x" },
    /DATABASE_URL: must be a URL starting with postgresql:\/\//,
  ],
  [
    "PostgreSQL down",
    { DATABASE_URL: "postgresql://postgres@127.0.0.1:1/mmiohub" },
    /cannot reach PostgreSQL at 127\.0\.0\.1:1\/mmiohub \(DATABASE_URL\)/,
  ],
  ["Redis down", { REDIS_URL: "redis://127.0.0.1:1" }, /cannot reach Redis at 127\.0\.0\.1:1 \(REDIS_URL\)/],
];

for (const [service, entry] of [
  ["api", "services/api/src/server.ts"],
  ["worker", "services/worker/src/main.ts"],
] as const) {
  describe(`${service} start-up errors`, () => {
    for (const [what, env, message] of cases) {
      if (service === "worker" && env.PORT) continue; // the worker listens on no port
      it(`fails clearly with ${what}`, () => {
        const r = start(entry, env);
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      });
    }
  });
}
