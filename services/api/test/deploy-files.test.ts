import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { workerEnvSchema } from "../../worker/src/env";
import { apiEnvSchema } from "../src/env";
import { REPO } from "./helpers";

describe("deployment files", () => {
  it("docker-compose.yml is accepted by docker-compose and runs api, worker, migrations, postgres, redis", () => {
    const r = spawnSync("docker-compose", ["config", "--services"], { cwd: REPO, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split("\n").sort()).toEqual(["api", "migrate", "postgres", "redis", "worker"]);
  });

  it("the README's configuration table names every variable the API and the worker read", () => {
    const readme = readFileSync(join(REPO, "README.md"), "utf8");
    const table = readme.slice(
      readme.indexOf("## Configuration"),
      readme.indexOf("### The register database"),
    );
    const documented = new Set([...table.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]));
    const read = [...Object.keys(apiEnvSchema.shape), ...Object.keys(workerEnvSchema.shape)];
    expect(read.filter((name) => !documented.has(name))).toEqual([]);
  });
});
