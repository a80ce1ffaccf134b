// Shows how PostgreSQL answers searches, to check they stay on indexes as the data grows:
//   npx tsx services/api/src/cli/explain-search.ts "chipset=GK107" "register=0x1700&access=w" ...
// Each argument is a /api/v1/traces query string; prints EXPLAIN ANALYZE of its page and facet queries.
import { databaseUrl, parseEnv } from "@mmiohub/config";
import { createPrisma } from "@mmiohub/db";
import { z } from "zod";
import { searchQuery } from "../schemas/search";
import { searchStatements } from "../services/search";

const env = parseEnv(z.object({ DATABASE_URL: databaseUrl }));
const prisma = createPrisma(env.DATABASE_URL, { max: 1 });
try {
  for (const query of process.argv.slice(2)) {
    const parsed = searchQuery.safeParse(Object.fromEntries(new URLSearchParams(query)));
    if (!parsed.success) {
      process.stderr.write(
        `${query}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}\n`,
      );
      process.exitCode = 2;
      continue;
    }
    for (const [part, statement] of Object.entries(searchStatements(parsed.data))) {
      const plan = await prisma.$queryRawUnsafe<{ "QUERY PLAN": string }[]>(
        `EXPLAIN (ANALYZE, COSTS OFF) ${statement.text}`,
        ...statement.values,
      );
      process.stdout.write(`=== ${query || "(no filter)"} [${part}]\n`);
      for (const row of plan) process.stdout.write(`${row["QUERY PLAN"]}\n`);
    }
  }
} finally {
  await prisma.$disconnect();
}
