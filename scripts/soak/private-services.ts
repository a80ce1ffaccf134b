// A private PostgreSQL cluster and Redis server for the soak test, on ports of their own, so that
// restarting them on purpose disturbs nothing else on the machine.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";

const pgBin = () => {
  const versions = readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a));
  return join("/usr/lib/postgresql", versions[0]!, "bin");
};

/** Runs a PostgreSQL binary as the postgres user when we are root (initdb refuses root). */
function asPostgres(cmd: string, args: string[], options: { stdio?: "ignore" | "inherit" } = {}) {
  const bin = join(pgBin(), cmd);
  if (process.getuid?.() === 0)
    return execFileSync("runuser", ["-u", "postgres", "--", bin, ...args], {
      stdio: options.stdio ?? "ignore",
    });
  return execFileSync(bin, args, { stdio: options.stdio ?? "ignore" });
}

export class PrivatePostgres {
  readonly url: string;
  constructor(
    readonly dir: string,
    readonly port: number,
  ) {
    this.url = `postgresql://postgres@127.0.0.1:${port}/mmiohub_soak`;
  }

  init(): void {
    mkdirSync(this.dir, { recursive: true });
    chmodSync(this.dir, 0o777);
    const data = join(this.dir, "data");
    if (!existsSync(data)) {
      asPostgres("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
    }
    this.start();
    execFileSync(
      join(pgBin(), "psql"),
      ["-h", "127.0.0.1", "-p", String(this.port), "-U", "postgres", "-qc", "CREATE DATABASE mmiohub_soak"],
      {
        stdio: "ignore",
      },
    );
  }

  private ctl(args: string[]) {
    asPostgres("pg_ctl", [
      "-D",
      join(this.dir, "data"),
      "-l",
      join(this.dir, "log"),
      "-o",
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
      "-w",
      ...args,
    ]);
  }
  start() {
    this.ctl(["start"]);
  }
  restart() {
    this.ctl(["restart", "-m", "fast"]);
  }
  stop() {
    try {
      this.ctl(["stop", "-m", "immediate"]);
    } catch {
      /* already stopped */
    }
  }
}

export class PrivateRedis {
  readonly url: string;
  private child: ChildProcess | undefined;
  constructor(readonly port: number) {
    this.url = `redis://127.0.0.1:${port}`;
  }
  async start(): Promise<void> {
    this.child = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      {
        stdio: "ignore",
      },
    );
    for (let i = 0; i < 50; i++) {
      try {
        execFileSync("redis-cli", ["-p", String(this.port), "ping"], { stdio: "ignore" });
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error("private Redis did not start");
  }
  flush(): void {
    execFileSync("redis-cli", ["-p", String(this.port), "flushall"], { stdio: "ignore" });
  }
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}
