import { once } from "node:events";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { type ApiProcess, exitOf, loggedRequests, runUntilExit, startApiProcess } from "./api-process";
import { waitFor } from "./helpers";

// API_PROCESSES=2: a primary and two API processes sharing the port, as `npm start` and
// docker-compose run it (API_PROCESSES=auto on a two-CPU machine).
const childrenOf = (pid: number): number[] => {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
  return text ? text.split(" ").map(Number) : [];
};

/** The primary's two API processes once `gone` has been replaced (the new one may still be starting). */
const replacementOf = (primary: number, gone: number) =>
  waitFor(
    async () => {
      const now = childrenOf(primary);
      return now.length === 2 && !now.includes(gone) ? now : undefined;
    },
    30_000,
    `a replacement for API process ${gone}`,
  );

/** The requests logged so far, with the client's port (fastify's request log line has it). */
const requestLines = (p: ApiProcess): { pid: number; remotePort: number }[] =>
  p
    .output()
    .split("\n")
    .filter((l) => l.includes('"msg":"incoming request"'))
    .flatMap((l) => {
      try {
        const e = JSON.parse(l) as { pid: number; req: { remotePort: number } };
        return [{ pid: e.pid, remotePort: e.req.remotePort }];
      } catch {
        return []; // cut off: not all of it has arrived
      }
    });

/** pids of the processes that logged the requests after the first `before` ones. */
const pidsSince = (p: ApiProcess, before: number): Set<number> =>
  new Set(
    requestLines(p)
      .slice(before)
      .map((r) => r.pid),
  );

/** pids of the processes that logged serving a request (pino puts the pid in every line). */
const servingPids = (p: ApiProcess): Set<number> => new Set(loggedRequests(p).map((r) => r.pid));

let api: ApiProcess | undefined;
afterAll(() => {
  if (api && api.exitCode === null) api.kill("SIGKILL");
});

/** A primary with two API processes, once both have served a request: its pid and theirs. */
async function twoServing(env: Record<string, string> = {}) {
  const proc = await startApiProcess({ API_PROCESSES: "2", ...env });
  api = proc;
  const primary = proc.pid!;
  const first = await waitFor(
    async () => (childrenOf(primary).length === 2 ? childrenOf(primary) : undefined),
    30_000,
    "two API processes",
  );
  await waitFor(
    async () => {
      await fetch(`${proc.base}/api/v1/traces?limit=1`, { headers: { connection: "close" } });
      return servingPids(proc).size === 2 ? true : undefined;
    },
    60_000,
    "both API processes to serve a request",
  );
  return { proc, primary, first };
}

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

    // One dies: another takes its place, and the other goes on answering meanwhile.
    process.kill(first[0]!, "SIGKILL");
    await healthy();
    const second = await replacementOf(primary, first[0]!);
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

  it("an API process signalled on its own gets no new connections while it finishes, then is replaced", async () => {
    const { proc, primary, first } = await twoServing({ SHUTDOWN_GRACE_MS: "60000" });
    api = proc;
    // An upload that keeps its process busy: headers and the start of a body that never ends.
    const held = connect(Number(new URL(api.base).port), "127.0.0.1");
    await once(held, "connect");
    const boundary = "held-upload";
    held.write(
      [
        "POST /api/v1/submissions HTTP/1.1",
        "host: 127.0.0.1",
        `content-type: multipart/form-data; boundary=${boundary}`,
        "content-length: 1000000",
        "",
        `--${boundary}`,
        'content-disposition: form-data; name="archive"; filename="held.tar.xz"',
        "content-type: application/octet-stream",
        "",
        "partial",
      ].join("\r\n"),
    );
    const heldPort = held.localPort!;
    const busy = await waitFor(
      async () => requestLines(api!).find((r) => r.remotePort === heldPort)?.pid,
      30_000,
      "the held upload to reach an API process",
    );
    const other = first.find((pid) => pid !== busy)!;
    process.kill(busy, "SIGTERM");
    await waitFor(
      async () =>
        api!.output().includes(`API process ${busy} is shutting down: no new connections for it`)
          ? true
          : undefined,
      30_000,
      "the primary to take the process out of the turn",
    );
    // Every new connection goes to the other process: none is turned away by the one finishing.
    const before = requestLines(api).length;
    const statuses: number[] = [];
    for (let k = 0; k < 8; k++) {
      const res = await fetch(`${api.base}/api/v1/traces?limit=1`, { headers: { connection: "close" } });
      statuses.push(res.status);
    }
    expect(statuses).toEqual(Array(8).fill(200));
    expect(pidsSince(api, before)).toEqual(new Set([other]));
    // The held upload ends (cut): the process exits, and the primary replaces it.
    held.destroy();
    const replaced = await replacementOf(primary, busy);
    expect(replaced).toContain(other);
    expect(api.output()).toContain(`API process ${busy} exited (0); starting another`);
    api.kill("SIGTERM");
    expect(await exitOf(api)).toBe(0);
  });

  it("an API process signalled while it starts is replaced; the others go on", async () => {
    api = await startApiProcess({ API_PROCESSES: "2" }, { healthy: false });
    const primary = api.pid!;
    // at once: each takes seconds to load and connect before it is ready
    const first = await waitFor(
      async () => (childrenOf(primary).length === 2 ? childrenOf(primary) : undefined),
      30_000,
      "two API processes",
    );
    process.kill(first[0]!, "SIGTERM");
    const second = await replacementOf(primary, first[0]!);
    expect(second).toContain(first[1]);
    expect(api.output()).toContain(`API process ${first[0]} exited (SIGTERM); starting another`);
    expect(api.output()).not.toContain("exited before it was ready");
    await waitFor(
      async () => {
        await fetch(`${api!.base}/api/v1/traces?limit=1`, { headers: { connection: "close" } }).catch(
          () => {},
        );
        return servingPids(api!).size === 2 ? true : undefined;
      },
      60_000,
      "both API processes to serve a request",
    );
    expect([...servingPids(api)].sort()).toEqual([...second].sort());
    api.kill("SIGTERM");
    expect(await exitOf(api)).toBe(0);
  });

  it("a replacement that dies before it is ready is started again later; the other serves meanwhile", async () => {
    const { proc, primary, first } = await twoServing();
    api = proc;
    // One dies, and its replacement is killed as it starts (the kernel's OOM killer, say).
    process.kill(first[0]!, "SIGKILL");
    const starting = (await replacementOf(primary, first[0]!)).find((pid) => pid !== first[1])!;
    process.kill(starting, "SIGKILL");
    await waitFor(
      async () =>
        api!
          .output()
          .includes(`API process ${starting} exited before it was ready (SIGKILL); starting another in 1 s`)
          ? true
          : undefined,
      30_000,
      "the primary to say it starts another later",
    );
    expect(api.output()).not.toContain("stopping");
    // Meanwhile the other answers every new connection.
    for (let k = 0; k < 4; k++) {
      const res = await fetch(`${api.base}/api/v1/traces?limit=1`, { headers: { connection: "close" } });
      expect(res.status).toBe(200);
    }
    // A second wait later, the next replacement starts and takes its turn.
    const third = await replacementOf(primary, starting);
    expect(third).toContain(first[1]);
    const latest = third.find((pid) => pid !== first[1])!;
    await waitFor(
      async () => {
        await fetch(`${api!.base}/api/v1/traces?limit=1`, { headers: { connection: "close" } });
        return servingPids(api!).has(latest) ? true : undefined;
      },
      60_000,
      "the later replacement to serve a request",
    );
    expect(api.exitCode).toBeNull();
    api.kill("SIGTERM");
    expect(await exitOf(api)).toBe(0);
  });

  it("a connection on its way to a process that dies is answered by another", async () => {
    const { proc, first } = await twoServing();
    const port = Number(new URL(proc.base).port);
    // A request on a connection of its own: the whole answer once the server closes it.
    const rawGet = () =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(port, "127.0.0.1");
        let answer = "";
        socket.setEncoding("latin1");
        socket.on("data", (d: string) => {
          answer += d;
        });
        socket.on("end", () => resolve(answer));
        socket.on("error", reject);
        socket.write("GET /api/v1/traces?limit=1 HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n");
      });
    // One process stopped: it cannot take what the primary sends it. Of two new connections, the
    // primary hands one to each (in turn): the running one answers, the other waits in the pipe.
    const [stopped, running] = first as [number, number];
    process.kill(stopped, "SIGSTOP");
    const before = requestLines(proc).length;
    const answers = [rawGet(), rawGet()].map((p) =>
      p.then(
        (a) => a,
        (e: Error) => `failed: ${e.message}`,
      ),
    );
    const answered = await Promise.race(answers);
    expect(answered).toMatch(/^HTTP\/1\.1 200 /);
    await new Promise((r) => setTimeout(r, 300));
    const pending = await Promise.race([
      Promise.all(answers).then(() => "both answered"),
      new Promise((r) => setTimeout(r, 200, "one waits")),
    ]);
    expect(pending).toBe("one waits");
    // It dies with the connection handed to it and not taken: the running one answers it.
    process.kill(stopped, "SIGKILL");
    const both = await Promise.all(answers);
    for (const a of both) expect(a).toMatch(/^HTTP\/1\.1 200 /);
    expect(pidsSince(proc, before)).toEqual(new Set([running]));
    await replacementOf(proc.pid!, stopped);
    proc.kill("SIGTERM");
    expect(await exitOf(proc)).toBe(0);
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
