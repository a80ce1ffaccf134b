import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { DatabaseSource } from "./loader";

/** Reads database files from a directory (envytools' `rnndb/` folder, or one shipped here). */
export function directorySource(dir: string): DatabaseSource {
  return (file) => {
    try {
      return readFileSync(resolve(dir, file), "utf8");
    } catch (err) {
      throw new DatabaseFileError(dir, file, (err as Error).message);
    }
  };
}

export class DatabaseFileError extends Error {
  readonly code = "RNNDB_FILE_UNREADABLE";
  constructor(
    readonly dir: string,
    readonly file: string,
    detail: string,
  ) {
    super(`cannot read register database file ${file} in ${dir}: ${detail}`);
  }
}
