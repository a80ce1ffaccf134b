// `npm test`: lint, typecheck, then the whole vitest suite. Ends with the plain line
// "N passed, N failed" (counted from vitest's JSON report; lint and typecheck count as one check
// each), which is what CI reads.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";

const extra = process.argv.slice(2);
const run = (cmd, args) => spawnSync(cmd, args, { stdio: "inherit" }).status === 0;
let passed = 0;
let failed = 0;
const check = (name, ok) => {
  console.log(`${name}: ${ok ? "ok" : "FAILED"}`);
  ok ? passed++ : failed++;
};

// What the tests need outside npm (Debian packages, running PostgreSQL/Redis); a no-op when present.
if (!run("bash", ["scripts/ensure-system.sh", "--for-tests"])) {
  console.log("ensure-system failed: the machine lacks what the tests need");
  console.log("0 passed, 1 failed");
  process.exit(1);
}
check("lint (biome)", run("npx", ["biome", "check", "."]));
check("typecheck (tsc)", run("npx", ["tsc", "-p", "tsconfig.json", "--noEmit"]));

mkdirSync(".test-results", { recursive: true });
const report = ".test-results/vitest.json";
rmSync(report, { force: true });
const vitestOk = run("npx", [
  "vitest",
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${report}`,
  ...extra,
]);
let counted = false;
try {
  const r = JSON.parse(readFileSync(report, "utf8"));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  // A file that fails to load has no tests to count: count it as a failure so it is seen.
  failed += r.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
  if (r.numPendingTests || r.numTodoTests) console.log(`skipped: ${r.numPendingTests + r.numTodoTests}`);
  counted = true;
} catch {
  console.log("vitest wrote no report");
}
if (!counted || (!vitestOk && failed === 0)) failed++;
writeFileSync(".test-results/summary.json", JSON.stringify({ passed, failed }));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
