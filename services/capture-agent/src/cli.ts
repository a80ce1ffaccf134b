import { main } from "./main";

// The process entry (tsx in development, the bundle in the single executable).
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`mmiohub-agent: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
