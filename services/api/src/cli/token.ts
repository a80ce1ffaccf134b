// API tokens from the command line:
//   npx tsx services/api/src/cli/token.ts create --role maintainer --name alice [--expires-days 90]
//   npx tsx services/api/src/cli/token.ts list
//   npx tsx services/api/src/cli/token.ts revoke <id>
// The secret is printed once by `create` and never stored (only its sha256 is).
import { parseArgs } from "node:util";
import { databaseUrl, parseEnv } from "@mmiohub/config";
import { createPrisma } from "@mmiohub/db";
import { z } from "zod";
import { createApiToken, revokeApiToken } from "../services/auth-tokens";

const USAGE = `usage:
  token create --role contributor|maintainer --name <who> [--expires-days <n>]
  token list
  token revoke <id>`;

function fail(message: string): never {
  process.stderr.write(`token: ${message}\n${USAGE}\n`);
  process.exit(2);
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    role: { type: "string" },
    name: { type: "string" },
    "expires-days": { type: "string" },
  },
});

const [command, ...rest] = positionals;
const env = parseEnv(z.object({ DATABASE_URL: databaseUrl }));
const prisma = createPrisma(env.DATABASE_URL, { max: 1 });
try {
  if (command === "create") {
    const role = z.enum(["contributor", "maintainer"]).safeParse(values.role);
    if (!role.success) fail("--role must be contributor or maintainer");
    const name = values.name?.trim();
    if (!name || name.length > 100) fail("--name is required (at most 100 characters)");
    const days = values["expires-days"];
    if (days !== undefined && !/^\d{1,5}$/.test(days)) fail("--expires-days must be a whole number of days");
    const token = await createApiToken(prisma, {
      name,
      role: role.data,
      expiresAt: days === undefined ? null : new Date(Date.now() + Number(days) * 86_400_000),
    });
    process.stdout.write(
      `${JSON.stringify({
        id: token.id,
        name: token.name,
        role: token.role,
        expiresAt: token.expiresAt?.toISOString() ?? null,
        token: token.token,
      })}\n`,
    );
    process.stderr.write("keep the token now: it is not stored and cannot be shown again\n");
  } else if (command === "list") {
    const rows = await prisma.apiToken.findMany({ orderBy: { createdAt: "asc" } });
    for (const t of rows) {
      const state = t.revokedAt ? "revoked" : t.expiresAt && t.expiresAt <= new Date() ? "expired" : "active";
      process.stdout.write(
        `${[t.id, t.role, state, t.name, t.expiresAt?.toISOString() ?? "-", t.lastUsedAt?.toISOString() ?? "-"].join("\t")}\n`,
      );
    }
  } else if (command === "revoke") {
    const id = rest[0];
    if (!id) fail("revoke needs a token id (see `token list`)");
    if (!(await revokeApiToken(prisma, id))) fail(`no active token ${id}`);
    process.stdout.write(`revoked ${id}\n`);
  } else {
    fail(command ? `unknown command '${command}'` : "a command is required");
  }
} finally {
  await prisma.$disconnect();
}
