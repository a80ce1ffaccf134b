import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { REPO } from "./helpers";

describe("deployment files", () => {
  it("docker-compose.yml is accepted by docker-compose and runs api, worker, migrations, postgres, redis", () => {
    const r = spawnSync("docker-compose", ["config", "--services"], { cwd: REPO, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split("\n").sort()).toEqual(["api", "migrate", "postgres", "redis", "worker"]);
  });
});
