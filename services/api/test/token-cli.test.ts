import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken } from "../src/services/auth-tokens";
import { REPO, startApi } from "./helpers";

// The token CLI as an operator runs it, against the test database.
let api: Awaited<ReturnType<typeof startApi>>;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => api?.close());

function cli(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", join(REPO, "services/api/src/cli/token.ts"), ...args],
    {
      cwd: REPO,
      env: { ...process.env, DATABASE_URL: api.config.DATABASE_URL },
      encoding: "utf8",
      timeout: 30_000,
    },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("token CLI", () => {
  it("creates a token shown once and stored hashed, lists it, revokes it", async () => {
    const created = cli("create", "--role", "maintainer", "--name", "cli-alice", "--expires-days", "30");
    expect(created.status, created.stderr).toBe(0);
    const out = JSON.parse(created.stdout);
    expect(out).toMatchObject({
      name: "cli-alice",
      role: "maintainer",
      token: expect.stringMatching(/^mmh_/),
    });
    expect(Date.parse(out.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const row = await api.prisma.apiToken.findUniqueOrThrow({ where: { id: out.id } });
    expect(row.tokenHash).toBe(hashToken(out.token));
    expect(JSON.stringify(row)).not.toContain(out.token);

    const auth = { authorization: `Bearer ${out.token}` };
    expect(
      (await api.app.inject({ method: "GET", url: "/api/v1/traces?limit=1", headers: auth })).statusCode,
    ).toBe(200);

    const list = cli("list");
    expect(list.stdout).toMatch(new RegExp(`^${out.id}\\tmaintainer\\tactive\\tcli-alice\\t`, "m"));
    const revoked = cli("revoke", out.id);
    expect(revoked.status).toBe(0);
    const refused = await api.app.inject({ method: "GET", url: "/api/v1/traces?limit=1", headers: auth });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.code).toBe("TOKEN_REVOKED");
  });

  it("refuses a bad role with a usage line", () => {
    const r = cli("create", "--role", "admin", "--name", "x");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--role must be contributor or maintainer");
    expect(r.stderr).toContain("usage:");
  });
});
