#!/usr/bin/env node
// The package runs TypeScript directly (no build step): register tsx, then start the CLI.
import { register } from "tsx/esm/api";

register();
const { runCli } = await import("../src/cli.ts");
try {
  process.exitCode = await runCli(process.argv.slice(2), {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
} catch (err) {
  process.stderr.write(`mmiohub-annotate: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
