import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { type ApiProcess, exitOf, loggedRequests, runUntilExit, startApiProcess } from "./api-process";
import { waitFor } from "./helpers";

// API_PROCESSES=2: a primary and two API processes sharing the port, as `npm start` and
// docker-compose run it (API_PROCESSES=auto on a two-CPU machine).
const childrenOf = (pid: number): number[] => {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
  return text ? text.split(" ").map(Number) : [];
};

/** pids of the processes that logged serving a request (pino puts the pid in every line). */
const servingPids = (p: ApiProcess): Set<number> => new Set(loggedRequests(p).map((r) => r.pid));

let api: ApiProcess | undefined;
afterAll(() => {
  if (api && api.exitCode === null) api.kill("SIGKILL");
});

describe("API_PROCESSES=2", () => {
  it("serves from both processes, replaces one that dies, and stops them all on SIGTERM", async () => {
    api = await startApiProcess({ API_PROCESSES: "2" });
    const primary = api.pid!;
    const first = await waitFor(
      async () => (childrenOf(primary).length === 2 ? childrenOf(primary) : undefined),
      30_000,
      "two API processes",
    );
    // A connection each: the primary hands new connections out in turn.
    const get = async (path: string) => {
      const res = await fetch(`${api!.base}${path}`, {
        headers: { connection: "close" },
        signal: AbortSignal.timeout(5_000),
      });
      return res.status;
    };
    const healthy = () =>
      waitFor(
        async () => ((await get("/health").catch(() => 0)) === 200 ? true : undefined),
        30_000,
        "health",
      );
    // Both serve, once both listen (they start one after the other).
    await waitFor(
      async () => {
        expect(await get("/api/v1/traces?limit=1")).toBe(200);
        return servingPids(api!).size === 2 ? true : undefined;
      },
      30_000,
      "both API processes to serve a request",
    );
    expect([...servingPids(api)].sort()).toEqual([...first].sort());

    // One dies: another takes its place, and the other goes on answering meanwhile (a connection
    // handed to the dying one before the primary saw it die is lost: a client retries).
    process.kill(first[0]!, "SIGKILL");
    await healthy();
    const second = await waitFor(
      async () => {
        const now = childrenOf(primary);
        return now.length === 2 && !now.includes(first[0]!) ? now : undefined;
      },
      30_000,
      "a replacement API process",
    );
    expect(second).toContain(first[1]);
    expect(api.output()).toContain(`API process ${first[0]} exited (SIGKILL); starting another`);
    // The replacement takes its turn at new connections once it listens.
    const replacement = second.find((pid) => pid !== first[1])!;
    await waitFor(
      async () => {
        expect(await get("/api/v1/traces?limit=1")).toBe(200);
        return servingPids(api!).has(replacement) ? true : undefined;
      },
      30_000,
      "the replacement API process to serve a request",
    );

    api.kill("SIGTERM");
    expect(await exitOf(api)).toBe(0);
    for (const pid of second) expect(() => process.kill(pid, 0), `process ${pid}`).toThrow();
  });

  it("stops with the reason, once, when the API processes cannot start", () => {
    const r = runUntilExit(
      "services/api/src/server.ts",
      { API_PROCESSES: "2", DATABASE_URL: "postgresql://postgres@127.0.0.1:1/mmiohub" },
      60_000,
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot reach PostgreSQL at 127\.0\.0\.1:1\/mmiohub \(DATABASE_URL\)/);
    expect(r.stderr).toMatch(/an API process exited before it was ready \(1\): stopping/);
    expect(r.stderr).not.toMatch(/starting another/);
  });

  it("refuses a bad API_PROCESSES with the variable named", () => {
    const r = runUntilExit("services/api/src/server.ts", { API_PROCESSES: "many" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/API_PROCESSES/);
  });
});
